using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace NeuralNet.Tests.GradientChecking;

/// <summary>One element whose analytic derivative disagrees with the numerical one.</summary>
/// <param name="Variable">The variable's name: <c>input</c> or a parameter name such as <c>kernel</c>.</param>
/// <param name="Index">The element's flat index.</param>
/// <param name="Analytic">The derivative the code computed.</param>
/// <param name="Numerical">The central difference.</param>
public sealed record GradientMismatch(string Variable, int Index, double Analytic, double Numerical);

/// <summary>The outcome of a numerical gradient check.</summary>
public sealed class GradientCheckReport
{
    private readonly List<GradientMismatch> _mismatches = [];

    /// <summary>Elements compared.</summary>
    public int Checked { get; internal set; }

    /// <summary>Elements skipped because a kink lay within one step (see <see cref="GradientCheckOptions.AllowKinks"/>).</summary>
    public int Kinks { get; internal set; }

    /// <summary>Elements whose first central difference disagreed and whose difference at a quarter step came closer to the analytic value (curvature rather than a wrong gradient, when it then agrees).</summary>
    public int Refined { get; internal set; }

    /// <summary>The largest |analytic - numerical| seen.</summary>
    public double MaxAbsoluteError { get; internal set; }

    /// <summary>The disagreeing elements.</summary>
    public IReadOnlyList<GradientMismatch> Mismatches => _mismatches;

    /// <summary>Whether every checked element agreed and at most <paramref name="maxKinkFraction"/> of them were kinks.</summary>
    public bool Passed(double maxKinkFraction = 0.05) => _mismatches.Count == 0 && Checked > 0 && Kinks <= maxKinkFraction * Checked;

    internal void Add(GradientMismatch mismatch) => _mismatches.Add(mismatch);

    /// <summary>Throws an assertion failure listing the first mismatches unless <see cref="Passed"/>.</summary>
    public void AssertPassed(double maxKinkFraction = 0.05)
    {
        if (Passed(maxKinkFraction))
        {
            return;
        }

        throw new XunitException(ToString());
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Gradient check: {Checked} elements, {_mismatches.Count} mismatches, {Kinks} kinks, max abs error {MaxAbsoluteError:G4}.");
        foreach (GradientMismatch m in _mismatches.Take(10))
        {
            sb.AppendLine().Append(CultureInfo.InvariantCulture, $"  {m.Variable}[{m.Index}]: analytic {m.Analytic:G6}, numerical {m.Numerical:G6}");
        }

        return sb.ToString();
    }
}
