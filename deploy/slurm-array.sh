#!/usr/bin/env bash
# identikit on a Slurm cluster: one array task per shard, then one merge job.
#
#   deno task train --model cnn                      # once, on a login or build node
#   jid=$(sbatch --parsable deploy/slurm-array.sh)   # 16 shards (edit --array to change)
#   sbatch --dependency=afterok:"$jid" --wrap "deno task merge results/all-digits"
#
# Every task sees the same checkout, node_modules/ and models/ on a shared filesystem and
# writes its own results/<name>/runs.<i>-of-<n>.jsonl there; the shard number and count come
# from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (identikit reads them itself). scancel
# stops a task after its current step with its finished cells saved. To rerun one task, requeue
# it (same array, same shard count) and it resumes where it stopped:
#   scontrol requeue "$jid"_3 && scontrol update JobId="$jid"_3 StartTime=now
# then submit the merge again. (`sbatch --array=3` would be a new array of one: another sharding.)
# No cluster at hand? `sudo deploy/slurm-local.sh` brings up a single-node one on this machine.
#SBATCH --job-name=identikit
#SBATCH --array=0-15
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=identikit-%A_%a.log
set -euo pipefail

CONFIG="${CONFIG:-configs/all-digits.json}"
# Slurm starts the script in the submit directory (or in --chdir); IDENTIKIT_DIR overrides.
cd "${IDENTIKIT_DIR:-.}"

# No --parallel: as on one machine, the cells of a strategy sweep share batches of about 500
# images (--parallel 1 would score square 4 images per call). PARALLEL=K fixes K cells per batch
# instead: on a GPU partition, add `#SBATCH --gpus=1`, run `deno task setup:cuda` once, and use a
# config with "provider": "node-cuda" (or "web-webgpu") and a PARALLEL that fills the GPU.
exec deno task experiment "$CONFIG" ${PARALLEL:+--parallel "$PARALLEL"}
