using Xunit;

namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>
/// What the damaged files of one fuzz test did: accepted (loaded, and the model then ran), rejected with one of the
/// documented exceptions, or failed in another way (collected by the place that threw, so one run lists every distinct
/// defect rather than stopping at the first).
/// </summary>
internal sealed class FuzzOutcomes
{
    /// <summary>Set to run another number of cases than a test's default (by hand: larger runs are not for CI).</summary>
    public const string CasesVariable = "NEURALNET_KERAS_FUZZ_CASES";

    /// <summary>Set to add this to every seed, for a run over other files than CI's.</summary>
    public const string SeedOffsetVariable = "NEURALNET_KERAS_FUZZ_SEED_OFFSET";

    /// <summary>
    /// Set to a file that each case's seed is written to before the case runs: a case that ends the process (a stack
    /// overflow in PureHDF) can then be named, and a by-hand run resumed after it.
    /// </summary>
    public const string ProgressVariable = "NEURALNET_KERAS_FUZZ_PROGRESS";

    private readonly SortedDictionary<string, string> _failures = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _notes = new(StringComparer.Ordinal);
    private readonly string[] _parseErrors;

    /// <param name="parseErrors">Parts of the messages thrown before the reader gets past parsing, to tell how deep the damage got.</param>
    public FuzzOutcomes(params string[] parseErrors) => _parseErrors = parseErrors;

    public int Accepted { get; private set; }

    public int Rejected { get; private set; }

    /// <summary>The messages of the rejections, in order.</summary>
    public List<string> Rejections { get; } = [];

    public int RejectedPastParsing { get; private set; }

    /// <summary>The number of cases to run: <paramref name="defaultCases"/>, or <see cref="CasesVariable"/>'s.</summary>
    public static int Cases(int defaultCases) =>
        int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), out int cases) && cases > 0 ? cases : defaultCases;

    /// <summary>The seed of case <paramref name="i"/>: <paramref name="first"/> + i, shifted by <see cref="SeedOffsetVariable"/>.</summary>
    public static int Seed(int first, int i)
    {
        int seed = first + i + (int.TryParse(Environment.GetEnvironmentVariable(SeedOffsetVariable), out int offset) ? offset : 0);
        if (Environment.GetEnvironmentVariable(ProgressVariable) is { Length: > 0 } progress)
        {
            File.WriteAllText(progress, $"case {i} seed {seed} offset {offset}");
        }

        return seed;
    }

    /// <summary>
    /// Runs <paramref name="load"/>; true when it returned, false when it threw (a documented exception is counted as a
    /// rejection, and its message must name <paramref name="source"/>, the file as the loader was given it; any other
    /// exception is a failure).
    /// </summary>
    public bool TryLoad(string what, string source, Action load)
    {
        try
        {
            load();
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            if (!ex.Message.Contains(source, StringComparison.Ordinal))
            {
                Fail("unnamed " + Site(ex), $"{what}: the {ex.GetType().Name} does not name '{source}': {ex.Message}\n{ex.StackTrace}");
            }

            Rejections.Add(ex.Message);
            Rejected++;
            RejectedPastParsing += _parseErrors.Any(e => ex.Message.Contains(e, StringComparison.Ordinal)) ? 0 : 1;
            return false;
        }
        catch (Exception ex)
        {
            Fail(Site(ex), $"{what} threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            return false;
        }
    }

    /// <summary>Runs what is to be done with what loaded (a prediction); counts the case accepted when it works.</summary>
    public void Use(string what, Action use)
    {
        try
        {
            use();
            Accepted++;
        }
        catch (Exception ex)
        {
            Fail("Use " + Site(ex), $"{what}: using what loaded threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
        }
    }

    /// <summary>Counts something a case did that is no failure (shown by <see cref="ToString"/>), such as a training step taken.</summary>
    public void Note(string what) => _notes[what] = _notes.GetValueOrDefault(what) + 1;

    /// <summary>Records a failure found by the test itself (such as weights changed by a load that threw).</summary>
    public void Fail(string site, string description) => _failures.TryAdd(site, description);

    /// <summary>Fails the test with the first few distinct failures.</summary>
    public void AssertNone() => Assert.True(_failures.Count == 0, $"{_failures.Count} distinct failures:\n\n" + string.Join("\n\n", _failures.Values.Take(8)));

    public override string ToString() =>
        $"{Accepted} accepted, {Rejected} rejected ({RejectedPastParsing} after parsing){string.Concat(_notes.Select(n => $"; {n.Key}: {n.Value}"))}";

    private static string Site(Exception ex) =>
        $"{ex.GetType().Name} {ex.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("NeuralNet", StringComparison.Ordinal))?.Trim() ?? "?"}";
}
