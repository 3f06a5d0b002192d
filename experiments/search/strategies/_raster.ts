/** Anti-aliased pen strokes on a 28×28 8-bit image: what the stroke strategies draw with. */

const SIZE = 28;

/** A stroke: a polyline through `points` (x0, y0, x1, y1, …) in pixel coordinates. */
export interface Stroke {
  points: number[];
  /** Pen width in pixels. */
  width: number;
  /** Ink in (0, 1]: how dark the pen draws, or how much it erases. */
  ink: number;
  erase: boolean;
}

/**
 * Draws `stroke` onto `levels` in place. A pixel's coverage falls off linearly over one pixel
 * at the pen's edge; drawing raises a pixel to the ink's level, erasing scales it down.
 */
export function drawStroke(levels: Uint8Array, stroke: Stroke): void {
  const { points, width, ink, erase } = stroke;
  const reach = width / 2 + 0.5;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    minX = Math.min(minX, points[i]);
    maxX = Math.max(maxX, points[i]);
    minY = Math.min(minY, points[i + 1]);
    maxY = Math.max(maxY, points[i + 1]);
  }
  const x0 = Math.max(0, Math.floor(minX - reach)),
    x1 = Math.min(SIZE - 1, Math.ceil(maxX + reach));
  const y0 = Math.max(0, Math.floor(minY - reach)),
    y1 = Math.min(SIZE - 1, Math.ceil(maxY + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let d2 = Infinity;
      for (let i = 0; i + 3 < points.length; i += 2) {
        d2 = Math.min(
          d2,
          segmentDistance2(x, y, points[i], points[i + 1], points[i + 2], points[i + 3]),
        );
      }
      if (points.length === 2) d2 = (x - points[0]) ** 2 + (y - points[1]) ** 2;
      const coverage = Math.min(1, Math.max(0, reach - Math.sqrt(d2)));
      if (coverage <= 0) continue;
      const p = y * SIZE + x;
      if (erase) levels[p] = Math.round(levels[p] * (1 - coverage * ink));
      else levels[p] = Math.max(levels[p], Math.round(255 * coverage * ink));
    }
  }
}

function segmentDistance2(
  px: number,
  py: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax, dy = by - ay;
  const length2 = dx * dx + dy * dy;
  let t = length2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / length2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px, ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Points along the quadratic Bézier curve a → b (control c), `segments` + 1 of them. */
export function bezier(
  ax: number,
  ay: number,
  cx: number,
  cy: number,
  bx: number,
  by: number,
  segments = 6,
): number[] {
  const points: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments, u = 1 - t;
    points.push(u * u * ax + 2 * u * t * cx + t * t * bx, u * u * ay + 2 * u * t * cy + t * t * by);
  }
  return points;
}

/**
 * Points along an elliptical arc around (cx, cy) with radii rx, ry, tilted by `tilt`, from
 * angle `start` through `sweep` radians.
 */
export function arc(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  options: { tilt: number; start: number; sweep: number; segments?: number },
): number[] {
  const { tilt, start, sweep, segments = 12 } = options;
  const cos = Math.cos(tilt), sin = Math.sin(tilt);
  const points: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = start + (sweep * i) / segments;
    const x = rx * Math.cos(t), y = ry * Math.sin(t);
    points.push(cx + x * cos - y * sin, cy + x * sin + y * cos);
  }
  return points;
}
