/**
 * A model's inputs and outputs, the one home of the tensor names our exports use (the exporter
 * writes them, the decoder and scorers read them). Checks an ONNX file before a session opens:
 * that it parses, and that it takes one image batch [N, 28, 28, 1] of float32 and gives ten
 * float32 probabilities per image [N, 10]. A file that fails is bad input (exit 2), reported
 * with its name, never a provider failure.
 */

import onnxProto from "onnx-proto";
import { FileFormatError, UsageError } from "./errors.ts";

const { onnx } = onnxProto;

/** Names of a classifier export's input and output. */
export const INPUT_NAME = "image";
export const OUTPUT_NAME = "probabilities";
/** A decoder's input and output names. */
export const LATENT_NAME = "latent";
export const PIXELS_NAME = "pixels";
export const PRODUCER_NAME = "identikit";

/** ONNX's element type codes, for messages. */
const ELEMENT_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  6: "int32",
  7: "int64",
  10: "float16",
  11: "float64",
  16: "bfloat16",
};

/** A tensor's type and shape as people read it, e.g. `float32 [N, 28, 28, 1]`. */
function describe(value: onnxProto.onnx.IValueInfoProto): { type: string; dims: string[] } {
  const tensor = value.type?.tensorType;
  const type = ELEMENT_TYPES[tensor?.elemType ?? 0] ?? `element type ${tensor?.elemType ?? "?"}`;
  const dims = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0
      ? String(Number(d.dimValue))
      : d.dimParam || "?"
  );
  return { type, dims };
}

/** How a model takes its images: the tensor's dimensions around the 784 pixels. */
export type Layout = "NHWC" | "NCHW" | "flat";
/** How pixels in [0, 1] map to the model's input: onto [min, max], or (x − mean) / std. */
export type InputScale = { min: number; max: number } | { mean: number; std: number };

/** How to talk to a model (a config's description; omitted fields are detected or defaulted). */
export interface ModelIoSpec {
  layout?: Layout;
  scale?: InputScale;
  output?: "probabilities" | "logits";
  /** The input's name, when the model has more than one. */
  input?: string;
  /** The output's name (default: the first output). */
  outputName?: string;
}

/** Everything the scorer needs, resolved against the file. */
export interface ModelIo {
  layout: Layout;
  scale: InputScale;
  output: "probabilities" | "logits";
  input: string;
  outputName: string;
  /** The batch size the file fixes, or null when any batch size is accepted. */
  fixedBatch: number | null;
}

/** identikit's own exports: NHWC, pixels in [0, 1], probabilities. */
export const ZOO_IO: Required<Pick<ModelIoSpec, "layout" | "scale" | "output">> = Object.freeze({
  layout: "NHWC",
  scale: Object.freeze({ min: 0, max: 1 }),
  output: "probabilities",
});

/** Ops that hand their first input on unchanged in value (for detecting a final Softmax). */
const PASS_THROUGH = new Set(["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"]);

/** The dimensions of one image in each layout (the batch dimension comes first). */
export const LAYOUT_DIMS: Readonly<Record<Layout, readonly number[]>> = {
  NHWC: [28, 28, 1],
  NCHW: [1, 28, 28],
  flat: [784],
};

// Over 80 lines: the checks run in order (parse, one input, its type and shape, the layout, one
// output, its kind), each with its own message naming the file.
/**
 * Checks `bytes` against a description and resolves it: without `spec` (identikit's own models)
 * the input must be float32 [N, 28, 28, 1] and the output ten probabilities; with one (an
 * external model) the layout is detected from the input's shape unless given, and the output
 * kind from the op that makes it (Softmax: probabilities; anything else: logits) unless given.
 * Throws a {@linkcode UsageError} naming the file, the expected and the found shape.
 */
export function checkModelIo(bytes: Uint8Array, source: string, spec?: ModelIoSpec): ModelIo {
  const external = spec !== undefined;
  const reexport = external
    ? "Check that the file is a complete ONNX export."
    : "Re-export it (`deno task export --model NAME`) or train it again " +
      "(`deno task train --model NAME`).";
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new FileFormatError(
      `Cannot open ${source}: it is not a readable ONNX file (${(error as Error).message})`,
      { hint: `The file is damaged or truncated. ${reexport}` },
    );
  }
  const graph = model.graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((i) => !initializers.has(i.name));
  const outputs = graph?.output ?? [];
  if (!graph || inputs.length === 0 || outputs.length === 0) {
    throw new FileFormatError(
      `Cannot open ${source}: the ONNX file has no graph inputs or outputs`,
      { hint: `The file is damaged or truncated. ${reexport}` },
    );
  }
  const hint = external
    ? 'Describe the model in the config: "model": { "onnx": …, "layout": "NCHW" | "NHWC" | "flat", "scale": { "min": 0, "max": 255 } or { "mean": …, "std": … }, "output": "logits" | "probabilities", "input": …, "outputName": … }.'
    : "identikit asks MNIST classifiers: one input of N images 28×28×1 (NHWC, pixels in [0, 1]) and one output of 10 probabilities per image.";
  const refuse = (message: string) => new UsageError(`Cannot use ${source}: ${message}`, { hint });

  // The input: by name, or the only one.
  let input = inputs[0];
  if (spec?.input !== undefined) {
    const named = inputs.find((i) => i.name === spec.input);
    if (!named) {
      throw refuse(
        `it has no input "${spec.input}" (its inputs: ${inputs.map((i) => i.name).join(", ")})`,
      );
    }
    input = named;
  } else if (inputs.length !== 1) {
    throw refuse(
      `it has ${inputs.length} inputs (${
        inputs.map((i) => i.name).join(", ")
      }); expected one image input${external ? ' (name it with "input")' : ""}`,
    );
  }
  const found = describe(input);
  const matches = (layout: Layout) => {
    const want = LAYOUT_DIMS[layout];
    return found.dims.length === want.length + 1 &&
      want.every((d, i) => found.dims[i + 1] === String(d));
  };
  const layout = spec?.layout ??
    (external ? (["NCHW", "NHWC", "flat"] as const).find(matches) : "NHWC");
  if (found.type !== "float32" || layout === undefined || !matches(layout)) {
    const expected = layout
      ? `float32 [N, ${LAYOUT_DIMS[layout].join(", ")}]${external ? ` (layout ${layout})` : ""}`
      : "float32 [N, 1, 28, 28] (NCHW), [N, 28, 28, 1] (NHWC) or [N, 784] (flat)";
    throw refuse(
      `its input "${input.name}" is ${found.type} [${found.dims.join(", ")}]; expected ${expected}`,
    );
  }
  const batch = found.dims[0];
  const fixedBatch = /^\d+$/.test(batch) ? Number(batch) : null;

  // The output: by name, or the first.
  let output = outputs[0];
  if (spec?.outputName !== undefined) {
    const named = outputs.find((o) => o.name === spec.outputName);
    if (!named) {
      throw refuse(
        `it has no output "${spec.outputName}" (its outputs: ${
          outputs.map((o) => o.name).join(", ")
        })`,
      );
    }
    output = named;
  }
  const out = describe(output);
  // External exports sometimes carry no output shape: the scorer then checks the first batch.
  const shapeKnown = out.dims.length > 0 || !external;
  const classesOk = out.dims.length === 2 && out.dims[1] === "10" &&
    (out.dims[0] === batch || !/^\d+$/.test(out.dims[0]) || fixedBatch === null);
  if (out.type !== "float32" || (shapeKnown && !classesOk)) {
    throw refuse(
      `its output "${output.name}" is ${out.type} [${
        out.dims.join(", ")
      }]; expected float32 [N, 10] (ten digit classes per image)`,
    );
  }
  // The op that makes the output, looking through ops that only pass values on (tf2onnx and
  // Keras exports often end in Softmax → Identity).
  const producerOf = (name: string) =>
    (graph.node ?? []).find((n) => (n.output ?? []).includes(name));
  let producer = producerOf(output.name ?? "");
  for (let hops = 0; producer && PASS_THROUGH.has(producer.opType ?? "") && hops < 16; hops++) {
    producer = producerOf(producer.input?.[0] ?? "");
  }
  const detected = producer?.opType === "Softmax" ? "probabilities" : "logits";
  return {
    layout,
    scale: spec?.scale ?? ZOO_IO.scale,
    output: spec?.output ?? (external ? detected : "probabilities"),
    input: input.name ?? "",
    outputName: output.name ?? "",
    fixedBatch,
  };
}

/** How a model is fed and read, for people: "NCHW, pixels 0–255, logits (softmax applied)". */
export function describeIo(io: ModelIo): string {
  const scale = "mean" in io.scale
    ? `pixels normalised (x − ${io.scale.mean}) / ${io.scale.std}`
    : `pixels ${io.scale.min}–${io.scale.max}`;
  const output = io.output === "logits" ? "logits (softmax applied)" : "probabilities";
  const batch = io.fixedBatch === null ? "" : `, fixed batch of ${io.fixedBatch}`;
  return `external ONNX: ${io.layout}, ${scale}, ${output}${batch}`;
}
