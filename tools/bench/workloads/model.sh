# shellcheck shell=bash
# Model loading (sourced by run.sh): a safetensors file (tools/bench/make_safetensors.py: mixed
# tensor sizes and dtypes, laid out as the safetensors library writes them) read as the library
# does, mmap'd, the header then every tensor copied out (tools/bench/load_safetensors.py), cold:
# in header order (file order) and in name order (safe_open's keys: back and forth between the
# dtype regions); against a cold `cat` of the same file in the same run (target: at least 0.8x).
# The loader's time is its own, from open to the last byte (python's start, ~0.1 s here, is not a
# loader's I/O); the same loader on the local file in the page cache shows what it costs itself
# (its copies and page faults share the cores with the daemon).

prep_model() {
  local f="$inputs/model.safetensors"
  [ -f "$f" ] && [ "$(cat "$inputs/model.mib" 2>/dev/null)" = "$model_mib" ] ||
    { python3 tools/bench/make_safetensors.py "$model_mib" "$f" && echo "$model_mib" >"$inputs/model.mib"; }
  model_bytes=$(stat -c %s "$f")
  use_hub lat
  bench_upload_lfs bench/model model.safetensors "$f"
}
load_timed() {  # NAME FILE [--by-name]: the loader's own seconds (open to last byte), requests, bytes
  local mk out
  mk=$(mark)
  out=$(python3 tools/bench/load_safetensors.py ${3:-} "$2")
  record "$1" "${out%% *}"
  read -r n b <<<"$(served_since "$mk")"
  record "$1.req" "$n"
  record "$1.bytes" "$b"
}
run_model() {
  local file="$mnt/models/bench/model/model.safetensors" out
  cat "$inputs/model.safetensors" >/dev/null
  out=$(python3 tools/bench/load_safetensors.py "$inputs/model.safetensors")
  record model_local "${out%% *}"
  use_hub lat
  mount_fresh
  load_timed model_load "$file"
  unmount
  mount_fresh
  load_timed model_byname "$file" --by-name
  unmount
  mount_fresh
  hubfs_timed model_seq cat "$file"
  unmount
}
rows_model() {
  local cat_cell
  cat_cell="hubfs cold \`cat\` of the same file: $(gbps "$model_bytes" "$(m model_seq)") (the loader on the local file in the page cache: $(gbps "$model_bytes" "$(m model_local)"))"
  echo "| safetensors load, $(mib "$model_bytes"), tensors in header order (mmap), cold | $(gbps "$model_bytes" "$(m model_load)") | $cat_cell | $(ratio "$(m model_seq)" "$(m model_load)") $(served model_load)"
  echo "| (same file) tensors in name order (mmap), cold | $(gbps "$model_bytes" "$(m model_byname)") | $cat_cell | $(ratio "$(m model_seq)" "$(m model_byname)") $(served model_byname)"
}
