/*
 * A reference for tests/prng_test.ts, independent of common/prng.ts: sfc32 as published in
 * PractRand (Chris Doty-Humphrey; tmp = a + b + counter++, a = b ^ (b >> 9), b = c + (c << 3),
 * c = rotl(c, 21) + tmp) in C's uint32_t arithmetic, seeded as identikit documents it: four
 * outputs of splitmix32 (state += 0x9e3779b9, then murmur3's fmix32 finaliser) become a, b, c
 * and the counter d, and 12 outputs are discarded.
 *
 *   cc -O2 -o /tmp/sfc32 tests/testdata/sfc32_reference.c && /tmp/sfc32
 */
#include <stdint.h>
#include <stdio.h>

typedef struct { uint32_t a, b, c, d; } sfc32;

static uint32_t sfc32_next(sfc32 *s) {
  uint32_t tmp = s->a + s->b + s->d++;
  s->a = s->b ^ (s->b >> 9);
  s->b = s->c + (s->c << 3);
  s->c = ((s->c << 21) | (s->c >> 11)) + tmp;
  return tmp;
}

static uint32_t splitmix32(uint32_t *state) {
  uint32_t z = (*state += 0x9e3779b9u);
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

static sfc32 seeded(uint32_t seed) {
  sfc32 s;
  s.a = splitmix32(&seed);
  s.b = splitmix32(&seed);
  s.c = splitmix32(&seed);
  s.d = splitmix32(&seed);
  for (int i = 0; i < 12; i++) sfc32_next(&s);
  return s;
}

static void print(const char *name, sfc32 s, int n) {
  printf("%s:", name);
  for (int i = 0; i < n; i++) printf(" %u", sfc32_next(&s));
  printf("\n");
}

int main(void) {
  print("state 1 2 3 4", (sfc32){1, 2, 3, 4}, 8);
  print("state 0xdeadbeef 0 0xffffffff 7", (sfc32){0xdeadbeefu, 0, 0xffffffffu, 7}, 8);
  print("seed 42", seeded(42), 5);
  print("seed 0", seeded(0), 5);
  print("seed 4294967295", seeded(4294967295u), 5);
  sfc32 s = seeded(7);
  for (int i = 0; i < 1000; i++) sfc32_next(&s);
  printf("seed 7 after 1000: %u %u %u %u\n", s.a, s.b, s.c, s.d);
  return 0;
}
