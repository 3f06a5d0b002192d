/**
 * docs/config.md, the config reference, written from the config's JSON Schema (itself generated
 * from the zod schema), so that it cannot disagree with the code: `deno task schema` writes it
 * beside configs/schema.json and a test compares both with what the code generates.
 */

/** The part of a JSON Schema node this reads. */
interface Node {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  pattern?: string;
  minItems?: number;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
}

/** An object of the schema with its own table: its title and its node. */
interface Section {
  title: string;
  anchor: string;
  node: Node;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const json = (v: unknown) => `\`${JSON.stringify(v)}\``;

/** A number's bounds in words: `1–10,000`, `> 0, ≤ 1`. */
function bounds(n: Node): string {
  const f = (x: number) => x.toLocaleString("en-US");
  const low = n.minimum !== undefined
    ? `≥ ${f(n.minimum)}`
    : n.exclusiveMinimum !== undefined
    ? `> ${f(n.exclusiveMinimum)}`
    : "";
  const high = n.maximum !== undefined
    ? `≤ ${f(n.maximum)}`
    : n.exclusiveMaximum !== undefined
    ? `< ${f(n.exclusiveMaximum)}`
    : "";
  if (n.minimum !== undefined && n.maximum !== undefined) {
    return ` ${f(n.minimum)}–${f(n.maximum)}`;
  }
  return [low, high].filter(Boolean).length > 0 ? ` ${[low, high].filter(Boolean).join(", ")}` : "";
}

/** A node's type in a few words; objects with their own section are linked to it. */
function typeOf(n: Node, sections: Section[]): string {
  const own = sections.find((s) => s.node === n);
  if (own) return `[${own.title}](#${own.anchor})`;
  if (n.const !== undefined) return json(n.const);
  if (n.enum) return n.enum.map(json).join(", ");
  const alternatives = n.anyOf ?? n.oneOf;
  if (alternatives) {
    const [one, list] = alternatives;
    // One value or a list of such values (an axis): say it once.
    if (alternatives.length === 2 && list.type === "array" && list.items) {
      const t = typeOf(one, sections);
      if (typeOf(list.items, sections) === t) return `${t}, or a list of them`;
    }
    return alternatives.map((a) => typeOf(a, sections)).join(", or ");
  }
  switch (n.type) {
    case "integer":
      return `integer${bounds(n)}${n.multipleOf ? `, a multiple of ${n.multipleOf}` : ""}`;
    case "number":
      return `number${bounds(n)}`;
    case "string":
      return n.pattern ? `string matching \`${n.pattern}\`` : "string";
    case "boolean":
      return "true or false";
    case "array":
      return `list${n.minItems ? ` (at least ${n.minItems})` : ""} of ${
        n.items ? typeOf(n.items, sections) : "values"
      }`;
    case "object":
      if (n.additionalProperties && typeof n.additionalProperties === "object") {
        return `object of ${typeOf(n.additionalProperties, sections)}`;
      }
      return "object";
    default:
      return "any";
  }
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replaceAll(" ", "-");
}

/** The objects that get a table of their own, found depth-first under `node`. */
function collect(node: Node, out: Section[]): void {
  const shape = (n: Node) => Object.keys(n.properties!).join(",") + `:${n.properties!.name?.const}`;
  const visit = (n: Node | undefined, name: string) => {
    if (!n) return;
    if (n.type === "object" && n.properties) {
      const first = out.find((s) => shape(s.node) === shape(n));
      if (first) {
        // The same object again (an axis' list of it, a judge as a model): its first table.
        out.push({ ...first, node: n });
        return;
      }
      const strategy = n.properties.name?.const;
      let title = typeof strategy === "string" ? `strategy "${strategy}"` : name;
      if (out.some((s) => s.title === title)) {
        title = `${title} (${Object.keys(n.properties).join(", ")})`;
      }
      out.push({ title, anchor: slug(title), node: n });
      for (const [k, v] of Object.entries(n.properties)) visit(v, `${title}.${k}`);
      return;
    }
    for (const a of n.anyOf ?? n.oneOf ?? []) visit(a, name);
    visit(n.items, name);
    if (typeof n.additionalProperties === "object") visit(n.additionalProperties, name);
  };
  for (const [k, v] of Object.entries(node.properties ?? {})) visit(v, k);
}

/** One object's table: field, type, default, meaning. */
function table(n: Node, sections: Section[]): string[] {
  const required = new Set(n.required ?? []);
  return [
    "| field | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...Object.entries(n.properties ?? {}).map(([k, v]) =>
      `| \`${k}\` | ${cell(typeOf(v, sections))} | ${
        v.default !== undefined ? cell(json(v.default)) : required.has(k) ? "required" : "none"
      } | ${cell(v.description ?? "")} |`
    ),
  ];
}

/** docs/config.md from the config's JSON Schema. */
export function configReference(schema: Record<string, unknown>): string {
  const root = schema as Node;
  const sections: Section[] = [];
  collect(root, sections);
  const unique = sections.filter((s, i) => sections.findIndex((t) => t.anchor === s.anchor) === i);
  const out = [
    "# The experiment config",
    "",
    "<!-- Generated by `deno task schema` from experiments/sweep/config.ts; tests/docs_test.ts fails when it disagrees. Edit the schema, not this file. -->",
    "",
    "A config is a JSON file (see `configs/`); `configs/schema.json` lets an editor check it as you",
    "type. Every field but `name` has a default. Lists on the axis fields (`seeds`, `masks`,",
    "`perturbation`, `strategy`, `objective`) sweep them: the sweep is every combination, one run",
    "(a cell) each, and rerunning a config resumes it. Changing only the axes keeps the cells",
    "already run; changing anything else is another search (see [results](results.md)).",
    "",
    "## Fields",
    "",
    ...table(root, sections),
  ];
  for (const s of unique) {
    out.push("", `## ${s.title}`, "", ...table(s.node, sections));
  }
  return out.join("\n") + "\n";
}
