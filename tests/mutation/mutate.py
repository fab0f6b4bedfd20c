#!/usr/bin/env python3
# Mutation runner: applies each (file, original, mutant) in turn, runs the focused tests, restores the file.
# Every line should say KILLED. Used by the per-area scripts beside it; run those from the repository root.
import os, subprocess, sys, shutil

def run(muts, test_command):
    only = [int(a) for a in sys.argv[1:]]
    for i,(f,a,b) in enumerate(muts):
        if only and i not in only: continue
        src=open(f).read()
        assert src.count(a)==1, (i,a)
        shutil.copy(f,f + '.mutation-backup')
        open(f,'w').write(src.replace(a,b))
        r=subprocess.run(test_command + ' 2>&1', shell=True, capture_output=True, text=True)
        shutil.move(f + '.mutation-backup', f)
        os.utime(f)  # newer than the mutant's build output, so the next build recompiles it
        failed=[l.strip() for l in r.stdout.splitlines() if l.strip().startswith('failed ')]
        build_err = 'error CS' in r.stdout
        print(i, 'BUILD ERROR' if build_err else ('KILLED' if failed else 'SURVIVED'), failed[:3], flush=True)
