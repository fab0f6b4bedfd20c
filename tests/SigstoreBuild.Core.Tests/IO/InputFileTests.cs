using System.Diagnostics;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Tests.IO;

/// <summary>
/// The bounds of <see cref="InputFile"/> that a regular file or /dev/zero does not reach (the command-line tests cover
/// those for every input): a file that grows while it is read, a pipe past the cap, and an empty file, which is fine.
/// </summary>
[TestClass]
public sealed class InputFileTests
{
    private static readonly InputKind Kind = new("test input", 1024, "Pass a small file.");

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void GrowingFile_StopsAtTheSizeItHadWhenOpened()
    {
        var path = TempFile(new byte[100]);
        using var stream = InputFile.OpenRead(path, InputKind.AnySize("artifact"));
        var buffer = new byte[60];
        stream.ReadExactly(buffer);
        File.AppendAllText(path, new string('x', 100));

        var ex = Assert.ThrowsExactly<SigstoreException>(() => stream.CopyTo(Stream.Null));
        Assert.AreEqual(SetupCodes.InputTooLarge, ex.Code);
        StringAssert.Contains(ex.Message, "more than the 100 bytes its size says");
    }

    [TestMethod]
    public void Pipe_PastTheCap_IsRefused()
    {
        var fifo = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), "fifo-" + Guid.NewGuid().ToString("N"));
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { RedirectStandardError = true }))
        {
            mkfifo?.WaitForExit();
            if (mkfifo is null || mkfifo.ExitCode != 0)
            {
                Assert.Inconclusive("mkfifo is not available, so no pipe can be made.");
            }
        }

        try
        {
            // A pipe has no size: only the kind's cap stops it.
            var writer = Task.Run(() =>
            {
                using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                try
                {
                    pipe.Write(new byte[64 * 1024]);
                }
                catch (IOException)
                {
                    // The reader stopped early: a broken pipe is expected.
                }
            }, TestContext.CancellationToken);

            var ex = Assert.ThrowsExactly<SigstoreException>(() => InputFile.ReadAllBytes(fifo, Kind));
            Assert.AreEqual(SetupCodes.InputTooLarge, ex.Code);
            StringAssert.Contains(ex.Message, "holds more than the limit of 1024 bytes");
            writer.Wait(TimeSpan.FromSeconds(10), TestContext.CancellationToken);
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [TestMethod]
    public void EmptyFile_ReadsAsEmpty()
    {
        // The device check (an empty size with bytes behind it) must not refuse a truly empty file.
        Assert.IsEmpty(InputFile.ReadAllBytes(TempFile([]), Kind));
        using var file = InputFile.Open(TempFile([]), Kind);
        Assert.AreEqual(0, file.Length);
    }

    [TestMethod]
    public void FileAtTheCap_IsRead()
    {
        Assert.HasCount(1024, InputFile.ReadAllBytes(TempFile(new byte[1024]), Kind));
    }

    private string TempFile(byte[] content)
    {
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), "input-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        return path;
    }
}
