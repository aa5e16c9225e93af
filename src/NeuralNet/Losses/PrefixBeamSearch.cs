namespace NeuralNet.Losses;

/// <summary>
/// The state of a CTC prefix beam search over one sample: the kept label prefixes, each with the log-probability of the
/// alignments so far that end in a blank and of those that end in the prefix's last label.
/// </summary>
/// <remarks>
/// Prefixes are nodes of a trie (a parent and a last label), so the same prefix reached two ways is one node and its
/// probabilities add up. Ties between equal probabilities go to the prefix created first, so the search is deterministic.
/// </remarks>
internal sealed class PrefixBeamSearch
{
    private readonly int _classes;
    private readonly int _blank;
    private readonly int _beamWidth;
    private readonly List<(int Parent, int Label, int Length)> _nodes = [(-1, -1, 0)];
    private readonly Dictionary<(int Parent, int Label), int> _children = [];
    private Dictionary<int, Probabilities> _beams = new() { [0] = new Probabilities(0, double.NegativeInfinity) };

    public PrefixBeamSearch(int classes, int blank, int beamWidth)
    {
        _classes = classes;
        _blank = blank;
        _beamWidth = beamWidth;
    }

    /// <summary>Extends every kept prefix by one step of log-probabilities, then keeps the best <c>beamWidth</c>.</summary>
    public void Step(ReadOnlySpan<double> logProbs)
    {
        var next = new Dictionary<int, Probabilities>(_beams.Count * _classes);
        foreach ((int node, Probabilities p) in _beams)
        {
            double total = p.Total;
            Add(next, node, total + logProbs[_blank], double.NegativeInfinity);
            int last = _nodes[node].Label;
            for (int c = 0; c < _classes; c++)
            {
                if (c == _blank)
                {
                    continue;
                }

                int child = Child(node, c);
                if (c == last)
                {
                    // A repeat extends the prefix only across a blank; without one it stays the same prefix.
                    Add(next, child, double.NegativeInfinity, p.Blank + logProbs[c]);
                    Add(next, node, double.NegativeInfinity, p.Label + logProbs[c]);
                }
                else
                {
                    Add(next, child, double.NegativeInfinity, total + logProbs[c]);
                }
            }
        }

        _beams = Prune(next, _beamWidth);
    }

    /// <summary>The best <paramref name="count"/> prefixes (fewer if fewer exist), best first, with their log-probabilities.</summary>
    public IReadOnlyList<(int[] Labels, double Score)> Best(int count)
    {
        var best = new List<(int[] Labels, double Score)>(count);
        foreach ((int node, Probabilities p) in Ranked(_beams))
        {
            if (best.Count == count || double.IsNegativeInfinity(p.Total))
            {
                break;
            }

            best.Add((Labels(node), p.Total));
        }

        return best;
    }

    private static void Add(Dictionary<int, Probabilities> beams, int node, double blank, double label)
    {
        Probabilities p = beams.TryGetValue(node, out Probabilities existing) ? existing : new Probabilities(double.NegativeInfinity, double.NegativeInfinity);
        beams[node] = new Probabilities(Kernels.CtcLattice.LogAddExp(p.Blank, blank), Kernels.CtcLattice.LogAddExp(p.Label, label));
    }

    private int Child(int node, int label)
    {
        if (!_children.TryGetValue((node, label), out int child))
        {
            child = _nodes.Count;
            _nodes.Add((node, label, _nodes[node].Length + 1));
            _children.Add((node, label), child);
        }

        return child;
    }

    private int[] Labels(int node)
    {
        int[] labels = new int[_nodes[node].Length];
        for (int n = node, j = labels.Length - 1; n > 0; n = _nodes[n].Parent, j--)
        {
            labels[j] = _nodes[n].Label;
        }

        return labels;
    }

    private static Dictionary<int, Probabilities> Prune(Dictionary<int, Probabilities> beams, int width)
    {
        var kept = new Dictionary<int, Probabilities>(Math.Min(width, beams.Count));
        foreach ((int node, Probabilities p) in Ranked(beams))
        {
            if (kept.Count == width)
            {
                break;
            }

            kept.Add(node, p);
        }

        return kept;
    }

    private static IEnumerable<(int Node, Probabilities P)> Ranked(Dictionary<int, Probabilities> beams) =>
        beams.Select(pair => (pair.Key, pair.Value)).OrderByDescending(pair => pair.Value.Total).ThenBy(pair => pair.Key);

    /// <summary>The log-probabilities of a prefix's alignments ending in a blank and ending in its last label.</summary>
    private readonly record struct Probabilities(double Blank, double Label)
    {
        public double Total => Kernels.CtcLattice.LogAddExp(Blank, Label);
    }
}
