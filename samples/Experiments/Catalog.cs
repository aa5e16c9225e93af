namespace NeuralNet.Experiments;

/// <summary>Every experiment of ../shared/experiments.md, in document order.</summary>
internal static class Catalog
{
    public static IReadOnlyList<Experiment> All { get; } =
        [.. Document0.All, .. Document1.All, .. Document2.All, .. Document3.All, .. Document4.All];

    /// <summary>Resolves ids ("E3.8"), groups ("E3") and "all" to experiments, in catalog order.</summary>
    public static IReadOnlyList<Experiment> Select(IEnumerable<string> selectors)
    {
        var chosen = new HashSet<Experiment>();
        foreach (string selector in selectors)
        {
            var matches = All.Where(e => selector.Equals("all", StringComparison.OrdinalIgnoreCase)
                || e.Id.Equals(selector, StringComparison.OrdinalIgnoreCase)
                || e.Group.Equals(selector, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
            {
                throw new ArgumentException($"Unknown experiment '{selector}'. Expected an id such as E3.8, a group such as E3, or 'all'. Run with 'list' to see them.");
            }

            chosen.UnionWith(matches);
        }

        return All.Where(chosen.Contains).ToList();
    }
}
