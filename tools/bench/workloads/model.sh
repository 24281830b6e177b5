# Model loading (sourced by run.sh): a safetensors file (tools/bench/make_safetensors.py: mixed
# tensor sizes, data laid out by dtype, header in name order) read as a loader does, the header
# then every tensor in header order with pread (tools/bench/load_safetensors.py), cold; against
# a cold `cat` of the same file in the same run (target: at least 0.8x).

prep_model() {
  local f="$inputs/model.safetensors"
  [ -f "$f" ] && [ "$(cat "$inputs/model.mib" 2>/dev/null)" = "$model_mib" ] ||
    { python3 tools/bench/make_safetensors.py "$model_mib" "$f" && echo "$model_mib" >"$inputs/model.mib"; }
  model_bytes=$(stat -c %s "$f")
  use_hub lat
  bench_upload_lfs bench/model model.safetensors "$f"
}
run_model() {
  local file="$mnt/models/bench/model/model.safetensors"
  use_hub lat
  mount_fresh
  hubfs_timed model_load python3 tools/bench/load_safetensors.py "$file"
  unmount
  mount_fresh
  hubfs_timed model_seq cat "$file"
  unmount
}
rows_model() {
  echo "| safetensors load, $(mib "$model_bytes"), tensors in header order (pread), cold | $(gbps "$model_bytes" "$(m model_load)") | hubfs cold \`cat\` of the same file: $(gbps "$model_bytes" "$(m model_seq)") | $(ratio "$(m model_seq)" "$(m model_load)") $(served model_load)"
}
