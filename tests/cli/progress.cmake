# CLI tests of progress lines and figures (included from
# tests/cli/CMakeLists.txt; same helpers and variables).
