using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification.Tlog;

namespace SigstoreBuild.Tests.Verification.Tlog;

/// <summary>Strict parsing of C2SP signed notes.</summary>
[TestClass]
public sealed class SignedCheckpointTests
{
    private const string Root = "rs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=";
    private const string Sig = "— log.example 8w1amdbj1mjNN674dHAkD92+QZoEgBC7o0mXYSTRluDjQrOPjrps3zQB9ut+ShLepyZPsWBDi5IB3yXyjgjQT6OG9A8=\n";

    [TestMethod]
    public void Well_formed_note_parses()
    {
        var note = SignedCheckpoint.Parse($"log.example\n736\n{Root}\nTimestamp: 1\n\n{Sig}— witness/w1 AAAAAAE=\n");
        Assert.AreEqual("log.example", note.Origin);
        Assert.AreEqual(736, note.Size);
        Assert.AreEqual(2, note.Signatures.Count);
        Assert.AreEqual("witness/w1", note.Signatures[1].Name);
        Assert.AreEqual($"log.example\n736\n{Root}\nTimestamp: 1\n", System.Text.Encoding.UTF8.GetString(note.SignedText));
    }

    [TestMethod]
    [DataRow("736\n" + Root + "\n\n" + Sig)]                          // missing origin
    [DataRow("log.example\n" + Root + "\n\n" + Sig)]                  // missing size
    [DataRow("log.example\n736\n\n" + Sig)]                           // missing root hash
    [DataRow("log.example\n0736\n" + Root + "\n\n" + Sig)]            // leading zero
    [DataRow("log.example\n+736\n" + Root + "\n\n" + Sig)]            // sign
    [DataRow("log.example\n99999999999999999999\n" + Root + "\n\n" + Sig)]
    [DataRow("log.example\n736\nAAAA\n\n" + Sig)]                     // short root hash
    [DataRow("log.example\n736\n" + Root + "\n" + Sig)]               // no blank line
    [DataRow("log.example\r\n736\n" + Root + "\n\n" + Sig)]           // CR
    [DataRow("log.example\n736\n" + Root + "\n\n- log.example AAAAAAE=\n")] // not an em dash
    [DataRow("log.example\n736\n" + Root + "\n\n— log.example AAAAAAE=")]   // no final newline
    [DataRow("log.example\n736\n" + Root + "\n\n— log example AAAAAAE=\n")] // space in name
    [DataRow("log.example\n736\n" + Root + "\n\n— log.example AAAA\n")]     // no signature after the hint
    [DataRow("log.example\n736\n" + Root + "\n\n— log.example !!!!\n")]     // not base64
    [DataRow("")]
    public void Malformed_notes_are_rejected(string envelope)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => SignedCheckpoint.Parse(envelope));
        Assert.AreEqual(TlogCodes.MalformedCheckpoint, ex.Code);
    }
}
