using System.Globalization;

namespace NeuralNet.Benchmarks;

/// <summary>One GEMM problem: C (m x n) = op(A) (m x k) * op(B) (k x n), row-major, tightly packed.</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB) : IComparable<GemmShape>, IComparable
{
    /// <summary>Square sizes and the MNIST 784-512-10 products (batch 128), forward and backward.</summary>
    public static readonly GemmShape[] All =
    [
        Square(64), Square(128), Square(256), Square(512), Square(1024), Square(2048),
        // Names stay within BenchmarkDotNet's 20-character parameter column; docs/performance.md gives the shapes.
        new("mnist X·W1", 128, 512, 784, false, false),         // 128x784 · 784x512
        new("mnist H·W2", 128, 10, 512, false, false),          // 128x512 · 512x10
        new("mnist dY·W1ᵀ", 128, 784, 512, false, true),        // 128x512 · (784x512)ᵀ
        new("mnist Xᵀ·dY", 784, 512, 128, true, false),         // (128x784)ᵀ · 128x512
        new("mnist dY·W2ᵀ", 128, 512, 10, false, true),         // 128x10 · (512x10)ᵀ
        new("mnist Hᵀ·dY", 512, 10, 128, true, false),          // (128x512)ᵀ · 128x10
    ];

    /// <summary>An n x n x n product.</summary>
    public static GemmShape Square(int n) => new($"square {n}", n, n, n, false, false);

    /// <summary>
    /// Parses "n" (a square), "MxNxK", "#index" into <see cref="All"/>, or a name prefix such as "mnist" (every shape whose
    /// name starts with it).
    /// </summary>
    /// <exception cref="ArgumentException">The text is none of these; the message lists the shape names.</exception>
    public static GemmShape[] Parse(string text)
    {
        string[] parts = text.Split('x');
        if (parts.Length == 3 && parts.All(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
        {
            int[] v = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return [new($"{v[0]}x{v[1]}x{v[2]}", v[0], v[1], v[2], false, false)];
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
        {
            return [Square(n)];
        }

        if (text.StartsWith('#') && int.TryParse(text.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) && index >= 0 && index < All.Length)
        {
            return [All[index]];
        }

        GemmShape[] named = [.. All.Where(s => s.Name.StartsWith(text, StringComparison.OrdinalIgnoreCase))];
        return named.Length > 0
            ? named
            : throw new ArgumentException($"'{text}' is not a size (1024), MxNxK, #index (0-{All.Length - 1}) or a shape name prefix; the shapes are: {string.Join(", ", All.Select(s => s.Name))}.", nameof(text));
    }

    /// <summary>Floating-point operations of one product (2 m n k).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Orders shapes as in <see cref="All"/> (squares by size first), so result tables read top to bottom.</summary>
    public int CompareTo(GemmShape? other) => other is null ? 1 : Rank.CompareTo(other.Rank);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => CompareTo(obj as GemmShape);

    private (int, double) Rank => (Name.StartsWith("square", StringComparison.Ordinal) ? 0 : 1, Name.StartsWith("square", StringComparison.Ordinal) ? Flops : Array.FindIndex(All, s => s.Name == Name));
}
