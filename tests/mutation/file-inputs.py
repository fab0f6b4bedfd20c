#!/usr/bin/env python3
# Mutation check for the bounded file inputs (InputFile and its callers): disables each check in turn and runs the
# focused tests; every line should say KILLED. Run from the repository root: python3 tests/mutation/file-inputs.py [INDEX...]
import os, subprocess, sys, shutil
CLI = 'dotnet test --project tests/SigstoreBuild.Cli.Tests --filter "FullyQualifiedName~FileInputTests" 2>&1'
CORE = 'dotnet test --project tests/SigstoreBuild.Core.Tests --filter "FullyQualifiedName~InputFileTests|FullyQualifiedName~Ed25519|FullyQualifiedName~FilePolicy" 2>&1'
muts = [
 ("src/SigstoreBuild.Core/IO/InputFile.cs", 'if (Directory.Exists(full))', 'if (false)', CLI),
 ("src/SigstoreBuild.Core/IO/InputFile.cs", 'message = new FileInfo(full).LinkTarget is { } target', 'message = (string?)null is { } target', CLI),
 ("src/SigstoreBuild.Core/IO/InputFile.cs", 'if (file.CanSeek && file.Length > kind.MaxBytes)', 'if (false)', CLI),
 ("src/SigstoreBuild.Core/IO/InputFile.cs", 'if (file.CanSeek && file.Length == 0 && file.ReadByte() >= 0)', 'if (false)', CLI),
 ("src/SigstoreBuild.Core/IO/InputFile.cs", '_limit = Math.Min(kind.MaxBytes, ExpectedLength ?? long.MaxValue);', '_limit = kind.MaxBytes;', CORE),
 ("src/SigstoreBuild.Core/Verification/SigstoreVerifier.Signature.cs", '(key.IsEd25519 && policy.ArtifactPath is not null)', 'false', CORE),
 ("src/SigstoreBuild.Cli/Commands/VerifyRunner.cs", 'if (!Path.Exists(request.Subject))', 'if (!File.Exists(request.Subject))', CLI),
 ("src/SigstoreBuild.Core/Tuf/TufCache.cs", 'if (!Path.Exists(path))', 'if (!File.Exists(path))', CLI),
 ("src/SigstoreBuild.NuGet/Restore/SigstoreLockFile.cs", 'if (!Path.Exists(path))', 'if (!File.Exists(path))', CLI),
]
only = [int(a) for a in sys.argv[1:]]
for i,(f,a,b,test) in enumerate(muts):
    if only and i not in only: continue
    src=open(f).read()
    assert src.count(a)==1, (i,a)
    shutil.copy(f,f + '.mutation-backup')
    open(f,'w').write(src.replace(a,b))
    try:
        r=subprocess.run(test, shell=True, capture_output=True, text=True, timeout=1800)
        out=r.stdout
    except subprocess.TimeoutExpired as e:
        out='failed (timed out)'
    finally:
        shutil.move(f + '.mutation-backup', f)
        os.utime(f)  # newer than the mutant's build output, so the next build recompiles it
    failed=[l.strip() for l in out.splitlines() if l.strip().startswith('failed ')]
    build_err = 'error CS' in out
    print(i, 'BUILD ERROR' if build_err else ('KILLED' if failed else 'SURVIVED'), len(failed), failed[:2], flush=True)
