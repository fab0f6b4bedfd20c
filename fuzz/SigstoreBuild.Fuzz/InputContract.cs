using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Fuzz;

/// <summary>
/// What every parser of untrusted bytes promises, checked for one input: it returns, or it throws the project's coded
/// <see cref="SigstoreException"/> (an SSBxxxx code), and it allocates no more than a bound proportional to the input.
/// Anything else escapes as an exception, which SharpFuzz reports to afl-fuzz as a crash. Hangs are afl-fuzz's
/// <c>-t</c> bound.
/// </summary>
internal static class InputContract
{
    /// <summary>Fixed headroom (trust material, caches warmed by the first input) plus a multiple of the input size.</summary>
    internal const long BaseAllocationBytes = 64L * 1024 * 1024;

    internal const long AllocationBytesPerInputByte = 64;

    public static long AllocationBudget(int inputLength) => BaseAllocationBytes + AllocationBytesPerInputByte * inputLength;

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>; returns the code it failed with, or null.</summary>
    public static string? Check(FuzzTarget target, byte[] input)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        string? code = null;
        try
        {
            target.Run(input);
        }
        catch (SigstoreException ex)
        {
            CheckCoded(ex);
            code = ex.Code;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBudget(input.Length))
        {
            throw new AllocationBoundExceededException(
                $"Target '{target.Name}' allocated {allocated} bytes for a {input.Length}-byte input (bound {AllocationBudget(input.Length)}).");
        }

        return code;
    }

    /// <summary>
    /// A coded exception that directly wraps a programming error (a null dereference, an index out of range) hides a bug
    /// behind a diagnostic code: that is a finding too. Only the exception the project itself caught counts: the BCL's
    /// own wrapping (an AsnContentException around the ArgumentOutOfRangeException of an impossible date) is its contract.
    /// </summary>
    internal static void CheckCoded(SigstoreException ex)
    {
        if (!ex.Code.StartsWith("SSB", StringComparison.Ordinal) || ex.Code.Length != 7)
        {
            throw new InvalidOperationException($"A SigstoreException with the malformed code '{ex.Code}'.", ex);
        }

        if (ex.InnerException is NullReferenceException or IndexOutOfRangeException or InvalidCastException or ArgumentOutOfRangeException
            or OverflowException or DivideByZeroException or OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Code} ({ex.Message}) wraps a programming error.", ex.InnerException);
        }
    }
}

/// <summary>The input made a parser allocate beyond <see cref="InputContract.AllocationBudget"/>.</summary>
internal sealed class AllocationBoundExceededException(string message) : Exception(message);
