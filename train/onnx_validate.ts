/**
 * Structural validation of an ONNX model, the checks of onnx.checker that matter for our
 * graphs: IR and opset declared, every node input defined before use (topological order),
 * single assignment, typed graph inputs/outputs, initializer sizes matching their dims, and
 * the attributes each operator we emit requires.
 */

import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Operators we emit, with the attributes each may carry (ONNX opset ≤ 21 schemas). */
const OPERATORS: Record<string, { attributes: string[]; inputs: [number, number] }> = {
  Transpose: { attributes: ["perm"], inputs: [1, 1] },
  Conv: {
    attributes: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"],
    inputs: [2, 3],
  },
  Relu: { attributes: [], inputs: [1, 1] },
  MaxPool: {
    attributes: [
      "auto_pad",
      "ceil_mode",
      "dilations",
      "kernel_shape",
      "pads",
      "storage_order",
      "strides",
    ],
    inputs: [1, 1],
  },
  Flatten: { attributes: ["axis"], inputs: [1, 1] },
  Gemm: { attributes: ["alpha", "beta", "transA", "transB"], inputs: [2, 3] },
  Softmax: { attributes: ["axis"], inputs: [1, 1] },
  Sigmoid: { attributes: [], inputs: [1, 1] },
};

/** Decoded messages: protobufjs fills repeated fields with [] and strings with "". */
interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData: number[];
  int64Data: number[];
}
interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number } };
}
interface Node {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: { name: string }[];
}
interface Graph {
  name: string;
  initializer: Tensor[];
  input: ValueInfo[];
  output: ValueInfo[];
  node: Node[];
}

const BYTES_PER_ELEMENT: Record<number, number> = { 1: 4, 7: 8 };

// Over 80 lines: a flat list of independent checks, each adding its own problem.
/** Returns the list of problems (empty when valid). */
export function validateOnnx(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    return [`not an ONNX ModelProto: ${(error as Error).message}`];
  }
  const ir = Number(model.irVersion);
  if (!(ir >= 3)) problems.push(`ir_version ${ir} is missing or too old`);
  const opset = model.opsetImport.find((o) => (o.domain ?? "") === "");
  if (!opset) problems.push("no opset_import for the default domain");
  else if (ir < 10 && Number(opset.version) >= 21) {
    problems.push(`opset ${opset.version} needs ir_version ≥ 10, found ${ir}`);
  }
  const graph = model.graph as unknown as Graph | null;
  if (!graph) return [...problems, "no graph"];
  if (!graph.name) problems.push("graph has no name");
  const defined = new Set<string>();
  for (const init of graph.initializer) {
    if (defined.has(init.name)) problems.push(`initializer "${init.name}" is defined twice`);
    defined.add(init.name);
    const count = init.dims.map(Number).reduce((a, b) => a * b, 1);
    const size = BYTES_PER_ELEMENT[init.dataType];
    if (size === undefined) {
      problems.push(`initializer "${init.name}" has unsupported data type ${init.dataType}`);
    }
    const stored = init.rawData?.length
      ? init.rawData.length / (size ?? 1)
      : init.floatData.length || init.int64Data.length;
    if (stored !== count) {
      problems.push(
        `initializer "${init.name}" has ${stored} elements, dims ${
          init.dims.join("×")
        } need ${count}`,
      );
    }
  }
  for (const input of graph.input) {
    if (!input.type?.tensorType?.elemType) {
      problems.push(`graph input "${input.name}" has no tensor type`);
    }
    defined.add(input.name);
  }
  const names = new Set<string>();
  graph.node.forEach((node, i) => {
    const where = `node ${i} (${node.opType} "${node.name}")`;
    if (node.name) {
      if (names.has(node.name)) problems.push(`${where}: node name used twice`);
      names.add(node.name);
    }
    const op = OPERATORS[node.opType];
    if (!op) problems.push(`${where}: operator not in the validated set`);
    else {
      if (node.input.length < op.inputs[0] || node.input.length > op.inputs[1]) {
        problems.push(`${where}: ${node.input.length} inputs, expected ${op.inputs.join("–")}`);
      }
      for (const a of node.attribute) {
        if (!op.attributes.includes(a.name)) {
          problems.push(`${where}: unknown attribute "${a.name}"`);
        }
      }
      if (node.opType === "Conv" && !node.attribute.some((a) => a.name === "kernel_shape")) {
        problems.push(`${where}: Conv without kernel_shape`);
      }
      if (node.opType === "MaxPool" && !node.attribute.some((a) => a.name === "kernel_shape")) {
        problems.push(`${where}: MaxPool needs kernel_shape`);
      }
    }
    for (const input of node.input) {
      if (input !== "" && !defined.has(input)) {
        problems.push(`${where}: input "${input}" is not defined before use`);
      }
    }
    for (const output of node.output) {
      if (defined.has(output)) problems.push(`${where}: output "${output}" is assigned twice`);
      defined.add(output);
    }
  });
  for (const output of graph.output) {
    if (!defined.has(output.name)) problems.push(`graph output "${output.name}" is never produced`);
    if (!output.type?.tensorType?.elemType) {
      problems.push(`graph output "${output.name}" has no tensor type`);
    }
  }
  return problems;
}
