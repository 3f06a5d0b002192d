/**
 * Exports a trained tfjs-layers network to ONNX (no JS converter exists). A classifier has one
 * float32 input `image` [N, 28, 28, 1] with pixels in [0, 1] and one output `probabilities`
 * [N, 10]; a generator's decoder has one input `latent` [N, d] and one output `pixels` [N, 784]
 * (a final sigmoid, pixels in [0, 1]).
 */

import type * as tfl from "@tensorflow/tfjs-layers";
import onnxProto from "onnx-proto";
import { writeFileAtomic } from "../common/files.ts";
import {
  INPUT_NAME,
  LATENT_NAME,
  OUTPUT_NAME,
  PIXELS_NAME,
  PRODUCER_NAME,
} from "../common/model_io.ts";
import { validateOnnx } from "./onnx_validate.ts";

const { onnx } = onnxProto;

/** The opset and IR version we write (ONNX 1.16: IR 10, opset 21). */
export const ONNX_OPSET = 21;
export const ONNX_IR_VERSION = 10;
export const PRODUCER_VERSION = "0.1.0";

/** Options for {@linkcode exportOnnx}. */
export interface ExportOptions {
  /** The graph name (e.g. "cnn"). */
  modelName: string;
  /** Free-form metadata properties (test accuracy, seed…). */
  metadata?: Record<string, string>;
}

type Layout = "NHWC" | "NCHW" | "flat";

interface Builder {
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
  /** Name of the current tensor, its layout and shape (without the batch dimension). */
  current: string;
  layout: Layout;
  shape: number[];
  counter: number;
}

/** Serializes `model` to ONNX bytes. Throws for layers the exporter does not know. */
export function exportOnnx(
  model: tfl.LayersModel,
  options: ExportOptions,
): Uint8Array {
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  // A flat input is a decoder's latent vector; an image input is a classifier's.
  const decoder = inputShape.length === 1;
  const inputName = decoder ? LATENT_NAME : INPUT_NAME;
  const b: Builder = {
    nodes: [],
    initializers: [],
    current: inputName,
    layout: decoder ? "flat" : "NHWC",
    shape: inputShape,
    counter: 0,
  };
  for (const layer of model.layers) exportLayer(b, layer);
  const outputName = decoder ? PIXELS_NAME : OUTPUT_NAME;
  if (b.current !== outputName) {
    throw new Error(
      decoder
        ? "Cannot export: a decoder must end in sigmoid"
        : "Cannot export: the model does not end in softmax",
    );
  }
  const graph = onnx.GraphProto.create({
    name: options.modelName,
    node: b.nodes,
    initializer: b.initializers,
    input: [valueInfo(inputName, ["N", ...inputShape])],
    output: [valueInfo(outputName, ["N", b.shape[0]])],
    docString: decoder
      ? "Input: a latent vector. Output: 784 pixels in [0, 1] (sigmoid), row-major 28×28."
      : "Input: pixels in [0, 1], NHWC. Output: class probabilities (softmax).",
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    modelVersion: 1,
    docString: `identikit MNIST ${
      decoder ? "decoder" : "classifier"
    } "${options.modelName}" exported from tfjs-layers`,
    graph,
    metadataProps: Object.entries(options.metadata ?? {}).map((
      [key, value],
    ) => ({ key, value })),
  });
  const bytes = onnx.ModelProto.encode(modelProto).finish();
  const problems = validateOnnx(bytes);
  if (problems.length) {
    throw new Error(`Exported ONNX graph is invalid:\n  ${problems.join("\n  ")}`);
  }
  return bytes;
}

/** Exports `model` to `path` atomically and returns the bytes written. */
export async function exportOnnxFile(
  model: tfl.LayersModel,
  path: string,
  options: ExportOptions,
): Promise<Uint8Array> {
  const bytes = exportOnnx(model, options);
  await writeFileAtomic(path, bytes);
  return bytes;
}

function valueInfo(
  name: string,
  dims: (number | string)[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => typeof d === "string" ? { dimParam: d } : { dimValue: d }),
        },
      },
    },
  };
}

function initializer(
  b: Builder,
  name: string,
  dims: number[],
  data: Float32Array,
): string {
  const bytes = new Uint8Array(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  );
  b.initializers.push({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: bytes,
  });
  return name;
}

function node(
  b: Builder,
  opType: string,
  inputs: string[],
  attributes: onnxProto.onnx.IAttributeProto[] = [],
  output?: string,
): string {
  const out = output ?? `${opType.toLowerCase()}_${b.counter++}`;
  b.nodes.push({
    name: `${opType}_${b.nodes.length}`,
    opType,
    input: inputs,
    output: [out],
    attribute: attributes,
  });
  b.current = out;
  return out;
}

const ints = (
  name: string,
  values: number[],
): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
});
const int = (name: string, value: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i: value,
});

function toLayout(b: Builder, layout: "NHWC" | "NCHW"): void {
  if (b.layout === layout) return;
  node(b, "Transpose", [b.current], [
    ints("perm", layout === "NCHW" ? [0, 3, 1, 2] : [0, 2, 3, 1]),
  ]);
  b.layout = layout;
}

/** tfjs/TensorFlow "same" padding: the extra cell of an odd total goes at the end. */
function samePads(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
): [number, number] {
  const out = Math.ceil(size / stride);
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number];
}

function activation(b: Builder, name: string, layerName: string): void {
  if (name === "linear") return;
  if (name === "relu") node(b, "Relu", [b.current]);
  else if (name === "softmax") {
    node(b, "Softmax", [b.current], [int("axis", -1)], OUTPUT_NAME);
  } else if (name === "sigmoid") {
    node(b, "Sigmoid", [b.current], [], PIXELS_NAME);
  } else {throw new Error(
      `Cannot export layer "${layerName}": activation "${name}" is not supported`,
    );}
}

// Over 80 lines: one branch per tfjs layer class, each a few ONNX nodes; a table of small
// functions would only move the branches apart.
function exportLayer(b: Builder, layer: tfl.layers.Layer): void {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const weights = layer.getWeights().map((w) => ({
    shape: w.shape,
    data: w.dataSync() as Float32Array,
  }));
  const act = (config.activation as string | undefined) ?? "linear";
  switch (cls) {
    case "InputLayer":
    case "Dropout": // identity at inference
      return;
    case "Conv2D": {
      if (config.dataFormat !== "channelsLast") {
        throw new Error(`Cannot export "${layer.name}": only channelsLast`);
      }
      toLayout(b, "NCHW");
      const [kh, kw, ci, co] = weights[0].shape;
      const [sh, sw] = pair(config.strides);
      const [dh, dw] = pair(config.dilationRate);
      const [h, w] = b.shape;
      const [top, bottom] = config.padding === "same" ? samePads(h, kh, sh, dh) : [0, 0];
      const [left, right] = config.padding === "same" ? samePads(w, kw, sw, dw) : [0, 0];
      // tfjs stores HWIO; ONNX wants OIHW.
      const hwio = weights[0].data, oihw = new Float32Array(hwio.length);
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          for (let i = 0; i < ci; i++) {
            for (let o = 0; o < co; o++) {
              oihw[((o * ci + i) * kh + y) * kw + x] = hwio[((y * kw + x) * ci + i) * co + o];
            }
          }
        }
      }
      const inputs = [
        b.current,
        initializer(b, `${layer.name}.weight`, [co, ci, kh, kw], oihw),
      ];
      if (weights[1]) {
        inputs.push(
          initializer(b, `${layer.name}.bias`, [co], weights[1].data),
        );
      }
      node(b, "Conv", inputs, [
        ints("kernel_shape", [kh, kw]),
        ints("strides", [sh, sw]),
        ints("dilations", [dh, dw]),
        ints("pads", [top, left, bottom, right]),
      ]);
      const outH = Math.floor((h + top + bottom - ((kh - 1) * dh + 1)) / sh) +
        1;
      const outW = Math.floor((w + left + right - ((kw - 1) * dw + 1)) / sw) +
        1;
      b.shape = [outH, outW, co];
      activation(b, act, layer.name);
      return;
    }
    case "MaxPooling2D": {
      if (config.padding !== "valid") {
        throw new Error(`Cannot export "${layer.name}": only valid pooling`);
      }
      toLayout(b, "NCHW");
      const [ph, pw] = pair(config.poolSize);
      const [sh, sw] = pair(config.strides ?? config.poolSize);
      node(b, "MaxPool", [b.current], [
        ints("kernel_shape", [ph, pw]),
        ints("strides", [sh, sw]),
      ]);
      const [h, w, c] = b.shape;
      b.shape = [
        Math.floor((h - ph) / sh) + 1,
        Math.floor((w - pw) / sw) + 1,
        c,
      ];
      return;
    }
    case "Flatten": {
      // tfjs flattens in NHWC order, so the dense weights expect that order.
      toLayout(b, "NHWC");
      node(b, "Flatten", [b.current], [int("axis", 1)]);
      b.layout = "flat";
      b.shape = [b.shape.reduce((x, y) => x * y, 1)];
      return;
    }
    case "Dense": {
      if (b.layout !== "flat") {
        throw new Error(
          `Cannot export "${layer.name}": Dense needs a flat input`,
        );
      }
      const [inUnits, units] = weights[0].shape;
      const inputs = [
        b.current,
        initializer(
          b,
          `${layer.name}.weight`,
          [inUnits, units],
          weights[0].data,
        ),
      ];
      inputs.push(
        weights[1] ? initializer(b, `${layer.name}.bias`, [units], weights[1].data) : initializer(
          b,
          `${layer.name}.bias`,
          [units],
          new Float32Array(units),
        ),
      );
      node(b, "Gemm", inputs);
      b.shape = [units];
      activation(b, act, layer.name);
      return;
    }
    default:
      throw new Error(
        `Cannot export layer "${layer.name}": ${cls} layers are not supported`,
      );
  }
}
