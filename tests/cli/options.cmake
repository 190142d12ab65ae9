# CLI tests of the options: overrides, refusals, help, names (included from
# tests/cli/CMakeLists.txt; same helpers and variables: SHEAFSIM, FIX, T,
# cli_error, cli_ok, cli_warning).
