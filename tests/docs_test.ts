/**
 * The docs cannot go stale where a test can tell: the README stays short, every docs page is
 * linked from it, every relative link and anchor of README.md and docs/*.md resolves, every
 * picture in docs/ is shown somewhere, and every config they name exists.
 */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";

const read = (path: string) => Deno.readTextFileSync(`${PROJECT_ROOT}/${path}`);
const PAGES = [...Deno.readDirSync(`${PROJECT_ROOT}/docs`)].map((e) => e.name)
  .filter((n) => n.endsWith(".md")).sort();
const DOCS = ["README.md", ...PAGES.map((p) => `docs/${p}`)];

/** A heading's anchor as GitHub makes it. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[`*_]/g, "").replace(/[^a-z0-9 -]/g, "").replaceAll(
    " ",
    "-",
  );
}

/** The anchors of a Markdown file's headings. */
function anchors(text: string): Set<string> {
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

Deno.test("the README is at most 150 lines and links every docs page", () => {
  const readme = read("README.md");
  assert.ok(readme.trimEnd().split("\n").length <= 150, `${readme.split("\n").length} lines`);
  // Its first screen: the identikit grid and the two commands.
  const first = readme.split("\n").slice(0, 30).join("\n");
  assert.match(first, /docs\/identikit-grid\.png/);
  assert.match(first, /npm install -g deno@/);
  assert.match(first, /deno task experiment configs\/all-digits\.json/);
  for (const page of PAGES) {
    assert.ok(readme.includes(`](docs/${page}`), `README links docs/${page}`);
  }
});

Deno.test("every relative link and anchor in README.md and docs/*.md resolves", () => {
  const problems: string[] = [];
  for (const file of DOCS) {
    const text = read(file);
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path, anchor] = target.split("#");
      const resolved = path === "" ? file : new URL(path, `file:///${dir}`).pathname.slice(1);
      let body: string;
      try {
        body = read(resolved);
      } catch {
        problems.push(`${file}: ${target} (no file ${resolved})`);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !anchors(body).has(anchor)) {
        problems.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
  }
  assert.deepStrictEqual(problems, []);
});

Deno.test("every picture in docs/ is shown by the README or a docs page, and every config named exists", () => {
  const all = DOCS.map(read).join("\n");
  const pictures = [...Deno.readDirSync(`${PROJECT_ROOT}/docs`)].map((e) => e.name)
    .filter((n) => /\.(png|svg)$/.test(n));
  assert.ok(pictures.length >= 8);
  for (const p of pictures) {
    assert.match(all, new RegExp(`\\]\\((docs/)?${p.replace(".", "\\.")}\\)`), p);
  }
  for (const [, config] of all.matchAll(/configs\/([A-Za-z0-9._-]+\.json)/g)) {
    assert.ok(Deno.statSync(`${PROJECT_ROOT}/configs/${config}`).isFile, config);
  }
});
