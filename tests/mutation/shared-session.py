#!/usr/bin/env python3
# Mutation check for the shared signing session: disables each security check in turn and runs the focused tests;
# every line should say KILLED. Run from the repository root: python3 tests/mutation/shared-session.py [INDEX...]
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mutate import run
muts = [
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBroker.cs", 'if (!BrokerProtocol.ProofMatches(auth, ', 'if (false && !BrokerProtocol.ProofMatches(auth, '),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBroker.cs", 'if (BrokerProtocol.Open(_scope.Key, "request", brokerNonce, clientNonce, frame) is not { } request)', 'if ((BrokerProtocol.Bytes(frame, "body") is { } raw ? BrokerProtocol.Parse(raw) : null) is not { } request)'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBrokerClient.cs", 'if (!BrokerProtocol.ProofMatches(challenge, BrokerProtocol.Mac(scope.Key, "broker", clientNonce))', 'if (false && !BrokerProtocol.ProofMatches(challenge, BrokerProtocol.Mac(scope.Key, "broker", clientNonce))'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBrokerClient.cs", 'return BrokerProtocol.Open(scope.Key, "response", clientNonce, brokerNonce, frame)', 'return BrokerProtocol.Parse(BrokerProtocol.Bytes(frame, "body")!)'),
 ("src/SigstoreBuild.Core/Signing/StatementSigner.cs", 'var bundle = CheckSignsStatement(json, statementJson);', 'var bundle = BundleSerializer.Parse(json);'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SharedSigner.cs", 'if (info.LinkTarget is not null)', 'if (false)'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SharedSigner.cs", 'File.SetUnixFileMode(directory, Private);', ''),
 ("src/SigstoreBuild.Core/Signing/Sharing/SharedSigner.cs", 'if (!Path.IsPathRooted(directory))', 'if (false)'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBroker.cs", 'var hello = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxHandshakeBytes, limit.Token)', 'var hello = await BrokerProtocol.ReadAsync(stream, BrokerProtocol.MaxMessageBytes, limit.Token)'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBroker.cs", 'if (BrokerProtocol.Text(hello, "v") != BrokerProtocol.Version || ', 'if ('),
 ("src/SigstoreBuild.Core/Signing/Sharing/SigningBroker.cs", 'clientNonce is not { Length: BrokerProtocol.NonceLength })', 'clientNonce is null)'),
 ("src/SigstoreBuild.Tasks/Signing/SigningScopes.cs", 'if (!SecretVariables.Any(name => environment.Get(name) is not null))', 'if (false)'),
 ("src/SigstoreBuild.Core/Signing/Sharing/SharedSigner.cs", 'appContextSwitch("System.IO.DisableFileLocking") == true', 'false'),
]
# The session's own tests are Core's; the tasks' SigningScopes tests are in NuGet.Tests.
run(muts, 'dotnet test --project tests/SigstoreBuild.Core.Tests --filter "FullyQualifiedName~SharedSigning"'
          ' && dotnet test --project tests/SigstoreBuild.NuGet.Tests --filter "FullyQualifiedName~SigningScopes"')
