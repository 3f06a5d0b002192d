/**
 * `deno task setup:cuda`: the explicit opt-in that fetches onnxruntime-node's CUDA 12 binaries
 * (its own installer, `--onnxruntime-node-install=cuda12`). Needs the network, an NVIDIA GPU
 * with CUDA 12 and cuDNN 9 at run time. The default install never does this.
 */

import { EXIT, parseOnlyFlags, runMain } from "./_cli.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { ORT_NODE_BIN_DIR } from "../infer/providers.ts";

if (import.meta.main) {
  await runMain(async () => {
    // Flags first: --help (or a typo) must never start a 500 MB download.
    parseOnlyFlags(Deno.args, {
      usage: `Usage: deno task setup:cuda

Fetches onnxruntime-node's CUDA 12 execution provider (about 500 MB from NuGet) into
node_modules/onnxruntime-node, for the node-cuda provider. The default install never does this.
At run time node-cuda also needs CUDA 12, cuDNN 9 and an NVIDIA driver (see the providers docs).`,
      flags: {},
    });
    const installer = `${PROJECT_ROOT}/node_modules/onnxruntime-node/script/install.js`;
    console.error(
      [
        "Fetching onnxruntime-node's CUDA 12 execution provider (about 500 MB from NuGet).",
        "At run time node-cuda also needs, on LD_LIBRARY_PATH:",
        "  - CUDA 12 runtime libraries (libcudart.so.12, libcublas.so.12, libcublasLt.so.12, libcufft.so.11, libcurand.so.10)",
        "  - cuDNN 9 (libcudnn.so.9)",
        "  - an NVIDIA driver that supports CUDA 12 (`nvidia-smi` works).",
      ].join("\n"),
    );
    const child = new Deno.Command("deno", {
      args: ["run", "-A", installer, "--onnxruntime-node-install=cuda12"],
      cwd: `${PROJECT_ROOT}/node_modules/onnxruntime-node`,
      env: { ONNXRUNTIME_NODE_INSTALL: "cuda12" },
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    if (!status.success) {
      console.error(
        "The CUDA download failed (is the network reachable?). Nothing else was changed.",
      );
      return EXIT.failure;
    }
    console.log(
      `Installed into ${ORT_NODE_BIN_DIR}. Try: deno task bench --providers node-cpu,node-cuda`,
    );
    return EXIT.ok;
  });
}
