#!/bin/sh
# A/B of the search's own cost before (09aeb4d, pre-redesign) and after (HEAD) issue 22.
set -e
M='RandomizedSearchCV HyperoptSearchCV(rand) HyperoptSearchCV(mtpe) HyperoptSearchCV'
for i in 1 2; do
  for side in old new; do
    if [ $side = old ]; then dir=/tmp/ab_old; else dir=/work/main; fi
    (cd $dir && PYTHONPATH=$dir /work/main/.venv/bin/python benchmarks/overhead.py --sizes 200 1000 --repeats 2 \
       --methods RandomizedSearchCV 'HyperoptSearchCV(rand)' 'HyperoptSearchCV(mtpe)' HyperoptSearchCV \
       --out /work/main/benchmarks/scratch/ab/${side}_$i > /work/main/benchmarks/scratch/ab/${side}_$i.log 2>&1)
  done
done
echo done > /work/main/benchmarks/scratch/ab/DONE
