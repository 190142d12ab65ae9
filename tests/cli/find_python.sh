# Sourced by the tool tests (check_figures.sh, check_scaling_study.sh,
# check_chunk_timeline.sh): sets `python` to the first of $SHEAFSIM_PYTHON
# (default: python3, then /usr/bin/python3) that has matplotlib, or exits 77
# (CTest's SKIP_RETURN_CODE) naming the Debian package.
python=
for p in ${SHEAFSIM_PYTHON:-python3 /usr/bin/python3}; do
  if "$p" -c 'import matplotlib' 2>/dev/null; then python=$p; break; fi
done
if [[ -z $python ]]; then
  echo "SKIP: no python3 with matplotlib (apt-get install python3-matplotlib)"
  exit 77
fi
