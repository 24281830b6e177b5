# shellcheck shell=bash
# A large tree (sourced by run.sh): cold `find` over $bigtree files (tools/bench/make_tree.py: 200
# files per folder), counting requests (target: at most 10), against local `find` with the
# dentries dropped.

prep_bigtree() {
  tree_repo bigtree "$bigtree" ||
    { echo "bigtree: localhub did not take the commit of $bigtree files: skipped" >&2; only=${only//bigtree/}; }
}
run_bigtree() {
  use_hub lat
  mount_fresh
  hubfs_timed bigfind_cold find "$mnt/models/bench/bigtree"
  unmount
  drop_dentries
  record local_bigfind_cold "$(timed find "$inputs/bigtree")"
}
rows_bigtree() {
  echo "| cold \`find\`, $bigtree files | $(secs "$(m bigfind_cold)") | local \`find\`, dropped cache: $(secs "$(m local_bigfind_cold)") | $(ratio "$(m local_bigfind_cold)" "$(m bigfind_cold)") $(served bigfind_cold)"
}
