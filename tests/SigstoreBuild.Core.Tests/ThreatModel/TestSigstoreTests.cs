namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>The factory itself: every bundle shape it makes verifies with the real log and timestamp verifiers.</summary>
[TestClass]
public sealed class TestSigstoreTests
{
    [TestMethod]
    [DataRow(1, Rekor.V1, false)]
    [DataRow(2, Rekor.V1, false)]
    [DataRow(3, Rekor.V1, false)]
    [DataRow(1, Rekor.V1, true)]
    [DataRow(2, Rekor.V1, true)]
    [DataRow(3, Rekor.V1, true)]
    [DataRow(2, Rekor.V2, false)]
    [DataRow(3, Rekor.V2, false)]
    [DataRow(2, Rekor.V2, true)]
    [DataRow(3, Rekor.V2, true)]
    public void EveryShape_Verifies(int version, Rekor rekor, bool dsse)
    {
        var bundle = TestSigstore.Shared.Sign(new BundleSpec { Version = version, Rekor = rekor, Dsse = dsse });
        var result = Expect.Verifies(bundle);
        Assert.HasCount(1, result.LogEntries);
        Assert.IsTrue(result.LogEntries[0].InclusionProofVerified);
        Assert.AreEqual(TestSigstore.Email, result.Identity!.SubjectAlternativeName);
        Assert.HasCount(1, result.VerifiedTimes);
        Assert.AreEqual(rekor == Rekor.V1 ? "tlog" : "timestamp-authority", result.VerifiedTimes[0].Source);
    }

    [TestMethod]
    [DataRow(Rekor.V1, false)]
    [DataRow(Rekor.V2, false)]
    [DataRow(Rekor.V1, true)]
    [DataRow(Rekor.V2, true)]
    public void KeyBundles_Verify(Rekor rekor, bool dsse)
    {
        var bundle = TestSigstore.Shared.Sign(new BundleSpec { Rekor = rekor, Dsse = dsse, KeyOnly = true });
        Assert.IsNotNull(Expect.Verifies(bundle).KeySha256);
    }
}
