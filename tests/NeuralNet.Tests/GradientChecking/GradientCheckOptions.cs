namespace NeuralNet.Tests.GradientChecking;

/// <summary>Settings of a numerical gradient check.</summary>
public sealed record GradientCheckOptions
{
    /// <summary>The default settings: step 1e-3, tolerance 2e-3 absolute + 1e-2 relative, every element checked.</summary>
    public static GradientCheckOptions Default { get; } = new();

    /// <summary>The perturbation h of the central difference (f(x + h) - f(x - h)) / 2h.</summary>
    public double Step { get; init; } = 1e-3;

    /// <summary>Analytic and numerical derivatives agree when |a - n| &lt;= AbsoluteTolerance + RelativeTolerance * max(|a|, |n|).</summary>
    public double AbsoluteTolerance { get; init; } = 2e-3;

    /// <summary>See <see cref="AbsoluteTolerance"/>.</summary>
    public double RelativeTolerance { get; init; } = 1e-2;

    /// <summary>
    /// At most this many elements of each variable are checked (a seeded sample), to keep big layers (Conv2D) fast.
    /// </summary>
    public int MaxElementsPerVariable { get; init; } = 256;

    /// <summary>
    /// Whether an element whose central difference disagrees, but whose analytic derivative matches one of the
    /// one-sided differences (while the two sides disagree), is counted as a kink (ReLU at 0, a clip bound) rather
    /// than a failure. Tests that allow kinks should still bound <see cref="GradientCheckReport.Kinks"/>.
    /// </summary>
    public bool AllowKinks { get; init; } = true;
}
