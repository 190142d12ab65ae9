# CLI tests of the reports and statistics blocks: fields, units, n/a (included
# from tests/cli/CMakeLists.txt; same helpers and variables).
