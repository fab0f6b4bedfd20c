#!/usr/bin/env python3
# Mutation check for identity patterns (issue 11): the full-match anchors, the parse-alone check, and every caller
# going through them. Run from the repository root: python3 tests/mutation/identity-pattern.py [INDEX...]
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mutate import run

core = "src/SigstoreBuild.Core/Verification/CertificateIdentity.cs"
muts = [
 (core, 'return new Regex(@"\\A(?:" + pattern + @")\\z", options, RegexTimeout);', 'return new Regex("^(?:" + pattern + ")$", options, RegexTimeout);'),
 (core, '_ = new Regex(pattern, options, RegexTimeout);', ''),
 ("src/SigstoreBuild.NuGet/Restore/TrustPolicy.cs", 'if (_subjectPattern is not null && !_subjectPattern.MatchesSubjectAlternativeName(signer.Subject))', 'if (_subjectPattern is not null && !System.Text.RegularExpressions.Regex.IsMatch(signer.Subject, "^(?:" + SubjectRegex + ")$"))'),
 ("src/SigstoreBuild.Cli/Commands/CommonOptions.cs", 'result.AddError($"{ex.Code}: {ex.Message}");', '_ = ex;'),
]
run(muts, 'dotnet test --project tests/SigstoreBuild.Core.Tests --filter "FullyQualifiedName~PolicyThreatTests" && dotnet test --project tests/SigstoreBuild.Restore.Tests --filter "FullyQualifiedName~PolicyTests" && dotnet test --project tests/SigstoreBuild.Cli.Tests --filter "FullyQualifiedName~IdentityRegexThatIsNotOneExpression"')
