namespace NeuralNet.Losses;

/// <summary>
/// The state of a CTC prefix beam search over one sample: the kept label prefixes, each with the log-probability of the
/// alignments so far that end in a blank and of those that end in the prefix's last label.
/// </summary>
/// <remarks>
/// Kept prefixes are nodes of a trie (a parent and a last label). A step's candidates are either a kept node or a kept
/// node extended by one label; an extension whose node already exists is that node, so the same prefix reached two ways
/// is one candidate and its probabilities add up. Nodes are created only for the candidates that survive the pruning, so
/// memory grows with steps × beam width, not with the classes. Ties between equal probabilities go to the candidate
/// whose parent node is older, then to the smaller label, so the search is deterministic.
/// </remarks>
internal sealed class PrefixBeamSearch
{
    private const int Same = -1; // the label of a candidate that is its node itself, not an extension

    private readonly int _classes;
    private readonly int _blank;
    private readonly int _beamWidth;
    private readonly List<(int Parent, int Label, int Length)> _nodes = [(-1, -1, 0)];
    private readonly Dictionary<(int Parent, int Label), int> _children = [];
    private List<(int Node, Probabilities P)> _beams = [(0, new Probabilities(0, double.NegativeInfinity))];

    public PrefixBeamSearch(int classes, int blank, int beamWidth)
    {
        _classes = classes;
        _blank = blank;
        _beamWidth = beamWidth;
    }

    /// <summary>Extends every kept prefix by one step of log-probabilities, then keeps the best <c>beamWidth</c>.</summary>
    public void Step(ReadOnlySpan<double> logProbs)
    {
        var next = new Dictionary<(int Node, int Label), Probabilities>(_beams.Count * _classes);
        foreach ((int node, Probabilities p) in _beams)
        {
            Add(next, (node, Same), p.Total + logProbs[_blank], double.NegativeInfinity);
            int last = _nodes[node].Label;
            for (int c = 0; c < _classes; c++)
            {
                if (c == _blank)
                {
                    continue;
                }

                (int, int) extended = _children.TryGetValue((node, c), out int child) ? (child, Same) : (node, c);
                if (c == last)
                {
                    // A repeat extends the prefix only across a blank; without one it stays the same prefix.
                    Add(next, extended, double.NegativeInfinity, p.Blank + logProbs[c]);
                    Add(next, (node, Same), double.NegativeInfinity, p.Label + logProbs[c]);
                }
                else
                {
                    Add(next, extended, double.NegativeInfinity, p.Total + logProbs[c]);
                }
            }
        }

        var kept = new List<(int Node, Probabilities P)>(Math.Min(_beamWidth, next.Count));
        foreach (KeyValuePair<(int Node, int Label), Probabilities> candidate in next
            .OrderByDescending(pair => pair.Value.Total).ThenBy(pair => pair.Key.Node).ThenBy(pair => pair.Key.Label).Take(_beamWidth))
        {
            (int node, int label) = candidate.Key;
            kept.Add((label == Same ? node : Child(node, label), candidate.Value));
        }

        _beams = kept;
    }

    /// <summary>The best <paramref name="count"/> prefixes (fewer if fewer exist), best first, with their log-probabilities.</summary>
    public IReadOnlyList<(int[] Labels, double Score)> Best(int count)
    {
        var best = new List<(int[] Labels, double Score)>(count);
        foreach ((int node, Probabilities p) in _beams)
        {
            if (best.Count == count || double.IsNegativeInfinity(p.Total))
            {
                break;
            }

            best.Add((Labels(node), p.Total));
        }

        return best;
    }

    private static void Add(Dictionary<(int Node, int Label), Probabilities> candidates, (int Node, int Label) key, double blank, double label)
    {
        Probabilities p = candidates.TryGetValue(key, out Probabilities existing) ? existing : new Probabilities(double.NegativeInfinity, double.NegativeInfinity);
        candidates[key] = new Probabilities(Kernels.CtcLattice.LogAddExp(p.Blank, blank), Kernels.CtcLattice.LogAddExp(p.Label, label));
    }

    private int Child(int node, int label)
    {
        int child = _nodes.Count;
        _nodes.Add((node, label, _nodes[node].Length + 1));
        _children.Add((node, label), child);
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

    /// <summary>The log-probabilities of a prefix's alignments ending in a blank and ending in its last label.</summary>
    private readonly record struct Probabilities(double Blank, double Label)
    {
        public double Total => Kernels.CtcLattice.LogAddExp(Blank, Label);
    }
}
