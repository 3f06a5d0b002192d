#!/usr/bin/env bash
# identikit on a Slurm cluster: one array task per shard, then one merge job.
#
#   deno task train --model cnn                      # once, on a login or build node
#   jid=$(sbatch --parsable deploy/slurm-array.sh)   # 16 shards (edit --array to change)
#   sbatch --dependency=afterok:"$jid" --wrap "deno task merge results/all-digits"
#
# Every task sees the same checkout, node_modules/ and models/ on a shared filesystem and
# writes its own results/<name>/runs.<i>-of-<n>.jsonl there; the shard number and count come
# from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (identikit reads them itself). A task
# that dies can simply be resubmitted: it resumes where it stopped.
#SBATCH --job-name=identikit
#SBATCH --array=0-15
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=identikit-%A_%a.log
set -euo pipefail

CONFIG="${CONFIG:-configs/all-digits.json}"
cd "${IDENTIKIT_DIR:-${SLURM_SUBMIT_DIR:-.}}"

# A GPU partition? Add `#SBATCH --gpus=1`, run `deno task setup:cuda` once, and use a config
# with "provider": "node-cuda" (or "web-webgpu") and --parallel to fill the GPU.
exec deno task experiment "$CONFIG" --parallel "${PARALLEL:-1}"
