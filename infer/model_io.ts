/**
 * Checks an ONNX file before a session opens: that it parses, and that it takes one image
 * batch [N, 28, 28, 1] of float32 and gives ten float32 probabilities per image [N, 10].
 * A file that fails is bad input (exit 2), reported with its name, never a provider failure.
 */

import onnxProto from "onnx-proto";
import { FileFormatError, UsageError } from "../common/errors.ts";

const { onnx } = onnxProto;

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

/** Throws a {@linkcode UsageError} unless `bytes` is an image classifier of MNIST's shape. */
export function checkModelIo(bytes: Uint8Array, source: string): void {
  const reexport = "Re-export it (`deno task export --model NAME`) or train it again " +
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
      {
        hint: `The file is damaged or truncated. ${reexport}`,
      },
    );
  }
  const check = (
    what: string,
    value: onnxProto.onnx.IValueInfoProto,
    expected: (string | number)[],
  ) => {
    const found = describe(value);
    const shapeOk = found.dims.length === expected.length &&
      expected.every((d, i) => typeof d === "string" || found.dims[i] === String(d));
    if (found.type !== "float32" || !shapeOk) {
      throw new UsageError(
        `Cannot use ${source}: its ${what} "${value.name}" is ${found.type} [${
          found.dims.join(", ")
        }]; expected float32 [${expected.join(", ")}]`,
        {
          hint:
            "identikit asks MNIST classifiers: one input of N images 28×28×1 (NHWC, pixels in [0, 1]) and one output of 10 probabilities per image.",
        },
      );
    }
  };
  if (inputs.length !== 1) {
    throw new UsageError(
      `Cannot use ${source}: it has ${inputs.length} inputs (${
        inputs.map((i) => i.name).join(", ")
      }); expected one image input`,
    );
  }
  check("input", inputs[0], ["N", 28, 28, 1]);
  check("output", outputs[0], ["N", 10]);
}
