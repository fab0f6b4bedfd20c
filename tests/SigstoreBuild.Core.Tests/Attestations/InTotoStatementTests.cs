using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tests.Attestations;

[TestClass]
public sealed class InTotoStatementTests
{
    private const string Sha = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";

    private static string Json(string subjects, string type = InTotoStatement.TypeV1, string predicateType = "\"https://slsa.dev/provenance/v1\"") =>
        $$$"""{"_type":"{{{type}}}","subject":{{{subjects}}},"predicateType":{{{predicateType}}},"predicate":{"a":1}}""";

    private static void AssertCode(string code, string json)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => InTotoStatement.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.AreEqual(code, ex.Code, ex.Message);
    }

    [TestMethod]
    [DataRow(InTotoStatement.TypeV1)]
    [DataRow(InTotoStatement.TypeV01)]
    public void Valid_Parses(string type)
    {
        var statement = InTotoStatement.Parse(Encoding.UTF8.GetBytes(Json($$$"""[{"name":"a","digest":{"sha256":"{{{Sha}}}","gitCommit":"abc"}}]""", type)));
        Assert.AreEqual(Sha, statement.Subjects[0].Digest["sha256"]);
        Assert.AreEqual("https://slsa.dev/provenance/v1", statement.PredicateType);
    }

    [TestMethod]
    public void UnknownType_Rejected() => AssertCode(AttestationCodes.UnsupportedStatementType, Json("[]", "https://in-toto.io/Statement/v9"));

    [TestMethod]
    public void DuplicateKeys_Rejected() =>
        AssertCode(AttestationCodes.MalformedStatement, $$$"""{"_type":"{{{InTotoStatement.TypeV1}}}","_type":"{{{InTotoStatement.TypeV01}}}","subject":[{"digest":{"sha256":"{{{Sha}}}"}}],"predicateType":"x"}""");

    [TestMethod]
    public void DuplicateDigestKeys_Rejected() =>
        AssertCode(AttestationCodes.MalformedStatement, Json($$$"""[{"digest":{"sha256":"{{{Sha}}}","sha256":"{{{Sha.Replace('a', 'b')}}}"}}]"""));

    [TestMethod]
    [DataRow("A0CFC71271D6E278E57CD332FF957C3F7043FDDA354C4CBB190A30D56EFA01BF")] // uppercase (D-04)
    [DataRow("a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01")] // short
    public void BadSha256Hex_Rejected(string hex) => AssertCode(AttestationCodes.MalformedStatement, Json($$$"""[{"digest":{"sha256":"{{{hex}}}"}}]"""));

    [TestMethod]
    public void EmptySubjects_Rejected() => AssertCode(AttestationCodes.MalformedStatement, Json("[]"));

    [TestMethod]
    public void TooManySubjects_Rejected()
    {
        var subjects = "[" + string.Join(",", Enumerable.Repeat($$$"""{"digest":{"sha256":"{{{Sha}}}"}}""", InTotoStatement.MaxSubjects + 1)) + "]";
        AssertCode(AttestationCodes.TooManySubjects, Json(subjects));
    }

    [TestMethod]
    public void MissingPredicateType_Rejected() => AssertCode(AttestationCodes.MalformedStatement, $$$"""{"_type":"{{{InTotoStatement.TypeV1}}}","subject":[{"digest":{"sha256":"{{{Sha}}}"}}]}""");

    [TestMethod]
    public void NotJson_Rejected() => AssertCode(AttestationCodes.MalformedStatement, "{\"_type\":");

    /// <summary>The cases the package library's own statement reader refused, before there was one reader.</summary>
    [TestMethod]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}""", DisplayName = "no subjects")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"x"}""", DisplayName = "no digest")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":1}}],"predicateType":"x"}""", DisplayName = "digest not a string")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}]}""", DisplayName = "no predicate type")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x"}""", DisplayName = "duplicate member")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha512":"00","sha512":"11"}}],"predicateType":"x"}""", DisplayName = "duplicate digest")]
    [DataRow("""[1]""", DisplayName = "not an object")]
    public void MalformedStatements_AreRejected(string json) => AssertCode(AttestationCodes.MalformedStatement, json);

    [TestMethod]
    public void Written_RoundTrips()
    {
        var statement = new InTotoStatement(
            [new InTotoSubject("b", new Dictionary<string, string> { ["sha512"] = new string('1', 128), ["sha256"] = Sha })],
            "https://slsa.dev/provenance/v1",
            new System.Text.Json.Nodes.JsonObject { ["a"] = 1 });
        var json = statement.ToJson();
        Assert.AreEqual($$$"""{"_type":"{{{InTotoStatement.TypeV1}}}","subject":[{"name":"b","digest":{"sha256":"{{{Sha}}}","sha512":"{{{new string('1', 128)}}}"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"a":1}}""", Encoding.UTF8.GetString(json));
        CollectionAssert.AreEqual(json, InTotoStatement.Parse(json).ToJson());
    }

    [TestMethod]
    public void WritingTooManySubjects_Refused()
    {
        var subjects = Enumerable.Range(0, InTotoStatement.MaxSubjects + 1).Select(i => new InTotoSubject($"f{i}", new Dictionary<string, string> { ["sha256"] = Sha })).ToList();
        var ex = Assert.ThrowsExactly<SigstoreException>(() => new InTotoStatement(subjects, "x", null));
        Assert.AreEqual(AttestationCodes.TooManySubjects, ex.Code);
        Assert.HasCount(InTotoStatement.MaxSubjects, new InTotoStatement([.. subjects.Take(InTotoStatement.MaxSubjects)], "x", null).Subjects);
    }
}
