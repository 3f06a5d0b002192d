/** Counts a model's floating-point operations per image by walking its ONNX graph. */

import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** FLOPs of one node (multiply-adds count 2) and the shape it produces. */
export interface NodeFlops {
  name: string;
  opType: string;
  flops: number;
  outputShape: number[];
}

function attr(
  node: onnxProto.onnx.INodeProto,
  name: string,
): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function attrInts(
  node: onnxProto.onnx.INodeProto,
  name: string,
  fallback: number[],
): number[] {
  const a = attr(node, name);
  return a?.ints?.length ? a.ints.map(Number) : fallback;
}

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

// Over 80 lines: one case per ONNX op type, each a line or two of shape arithmetic.
/**
 * Propagates shapes for batch 1 through the graph and counts FLOPs per node: convolution and
 * matrix products as 2 × multiply-adds (+ bias), pooling as one comparison per window cell,
 * element-wise ops one per element.
 */
export function countFlops(
  model: Uint8Array,
): { total: number; nodes: NodeFlops[] } {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const shapes = new Map<string, number[]>();
  for (const init of graph.initializer ?? []) {
    shapes.set(init.name!, (init.dims ?? []).map(Number));
  }
  for (const input of graph.input ?? []) {
    if (shapes.has(input.name!)) continue;
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    shapes.set(
      input.name!,
      dims.map((d) => (d.dimParam ? 1 : Number(d.dimValue))),
    );
  }
  const nodes: NodeFlops[] = [];
  for (const node of graph.node ?? []) {
    const inputs = (node.input ?? []).map((name) => {
      const shape = shapes.get(name);
      if (shape === undefined) {
        throw new Error(
          `Cannot count FLOPs: "${name}" is used before it is defined`,
        );
      }
      return shape;
    });
    const x = inputs[0];
    let out: number[], flops: number;
    switch (node.opType) {
      case "Conv": {
        const w = inputs[1];
        const [co, ciPerGroup, kh, kw] = w;
        const strides = attrInts(node, "strides", [1, 1]);
        const dil = attrInts(node, "dilations", [1, 1]);
        const pads = attrInts(node, "pads", [0, 0, 0, 0]);
        const oh = Math.floor(
          (x[2] + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0],
        ) + 1;
        const ow = Math.floor(
          (x[3] + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1],
        ) + 1;
        out = [x[0], co, oh, ow];
        flops = 2 * ciPerGroup * kh * kw * product(out) +
          (inputs[2] ? product(out) : 0);
        break;
      }
      case "MaxPool":
      case "AveragePool": {
        const [kh, kw] = attrInts(node, "kernel_shape", [1, 1]);
        const strides = attrInts(node, "strides", [1, 1]);
        const pads = attrInts(node, "pads", [0, 0, 0, 0]);
        out = [
          x[0],
          x[1],
          Math.floor((x[2] + pads[0] + pads[2] - kh) / strides[0]) + 1,
          Math.floor((x[3] + pads[1] + pads[3] - kw) / strides[1]) + 1,
        ];
        flops = product(out) * kh * kw;
        break;
      }
      case "Gemm":
      case "MatMul": {
        const transB = node.opType === "Gemm" &&
          Number(attr(node, "transB")?.i ?? 0) === 1;
        const [k, n] = transB ? [inputs[1][1], inputs[1][0]] : [inputs[1][0], inputs[1][1]];
        out = [...x.slice(0, -1), n];
        flops = 2 * product(x.slice(0, -1)) * k * n +
          (inputs[2] ? product(out) : 0);
        break;
      }
      case "Transpose": {
        const perm = attrInts(node, "perm", x.map((_, i) => x.length - 1 - i));
        out = perm.map((p) => x[p]);
        flops = 0;
        break;
      }
      case "Flatten": {
        let axis = Number(attr(node, "axis")?.i ?? 1);
        if (axis < 0) axis += x.length;
        out = [product(x.slice(0, axis)), product(x.slice(axis))];
        flops = 0;
        break;
      }
      case "Relu":
      case "Add":
      case "Mul":
        out = x;
        flops = product(x);
        break;
      case "Softmax":
        // exp, sum and divide per element.
        out = x;
        flops = 3 * product(x);
        break;
      default:
        throw new Error(
          `Cannot count FLOPs: operator ${node.opType} is not supported`,
        );
    }
    shapes.set(node.output![0], out);
    nodes.push({
      name: node.name ?? node.opType!,
      opType: node.opType!,
      flops,
      outputShape: out,
    });
  }
  return { total: nodes.reduce((s, n) => s + n.flops, 0), nodes };
}
