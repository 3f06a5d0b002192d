/**
 * External-looking ONNX models for tests, made from the tiny softmax regression with the
 * project's ONNX writer (onnx-proto): PyTorch-style NCHW input in [0, 255] with logits out, and
 * a normalised NHWC input. Each computes the tiny softmax's own probabilities, so scores can be
 * compared with it.
 */

import onnxProto from "onnx-proto";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const { onnx } = onnxProto;

/** The variants: how the input is laid out and scaled, and whether the softmax is kept. */
export interface Variant {
  layout: "NCHW" | "NHWC";
  /** The model computes pixels = (input − add) / mul before the classifier. */
  scale: { min: number; max: number } | { mean: number; std: number };
  logits: boolean;
  /** A fixed batch size (as torch.onnx.export writes without dynamic_axes), or "N". */
  batch?: number | "N";
  inputName?: string;
  outputName?: string;
  /** Output classes (10 for a digit classifier; others to test refusals). */
  classes?: number;
  /** Input height and width (28 for MNIST; others to test refusals). */
  side?: number;
  /** End in Softmax → Identity (as tf2onnx exports do). */
  identity?: boolean;
  /** Leave the output's shape out of the file (some exporters do). */
  noOutputShape?: boolean;
}

/** Writes the variant of the tiny softmax to `path`; returns the bytes. */
export async function externalModel(path: string, v: Variant): Promise<Uint8Array> {
  await tinyModel("softmax");
  const base = onnx.ModelProto.decode(await Deno.readFile(`${TEST_MODELS_DIR}/softmax.onnx`));
  const graph = base.graph!;
  const input = v.inputName ?? "input.1", output = v.outputName ?? "output";
  const side = v.side ?? 28, classes = v.classes ?? 10, batch = v.batch ?? "N";
  const dim = (d: number | string) => typeof d === "string" ? { dimParam: d } : { dimValue: d };
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map(dim) } },
    },
  });
  const scalar = (name: string, value: number) => ({
    name,
    dims: [],
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: [value],
  });
  // Undo the input scale: pixels = (x − a) / m, as the classifier expects pixels in [0, 1].
  const [a, m] = "mean" in v.scale
    ? [-v.scale.mean / v.scale.std, 1 / v.scale.std]
    : [v.scale.min, v.scale.max - v.scale.min];
  const weights = graph.initializer!.filter((t) => t.name !== undefined);
  const gemm = graph.node!.find((n) => n.opType === "Gemm")!;
  const nodes = [
    { opType: "Sub", input: [input, "shift"], output: ["shifted"] },
    { opType: "Div", input: ["shifted", "range"], output: ["pixels"] },
    {
      opType: "Flatten",
      input: ["pixels"],
      output: ["flat"],
      attribute: [{ name: "axis", type: 2, i: 1 }],
    },
    { ...gemm, input: ["flat", ...gemm.input!.slice(1)], output: [v.logits ? output : "logits"] },
    ...(v.logits ? [] : v.identity
      ? [
        { opType: "Softmax", input: ["logits"], output: ["softmax"] },
        { opType: "Identity", input: ["softmax"], output: [output] },
      ]
      : [{ opType: "Softmax", input: ["logits"], output: [output] }]),
  ];
  if (classes !== 10) {
    // Another head: repeat the ten scores to `classes` outputs.
    const last = nodes[nodes.length - 1];
    const raw = last.output![0];
    last.output = ["ten"];
    nodes.push({
      opType: "Tile",
      input: ["ten", "repeats"],
      output: [raw],
    } as never);
    weights.push({
      name: "repeats",
      dims: [2],
      dataType: onnx.TensorProto.DataType.INT64,
      int64Data: [1, classes / 10],
    } as never);
  }
  const layoutDims = v.layout === "NCHW" ? [1, side, side] : [side, side, 1];
  const model = onnx.ModelProto.create({
    ...base,
    producerName: "pytorch-like",
    graph: onnx.GraphProto.create({
      name: "external",
      node: nodes,
      initializer: [...weights, scalar("shift", a), scalar("range", m)],
      input: [valueInfo(input, [batch, ...layoutDims])],
      output: [valueInfo(output, v.noOutputShape ? [] : [batch, classes])],
    }),
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  await Deno.writeFile(path, bytes);
  return bytes;
}
