using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>
/// Keras 3's <c>skip_mismatch</c> for a <c>.weights.h5</c> file or a <c>.keras</c> archive (saving_lib's <c>_load_state</c>):
/// each object's <c>load_own_variables</c> runs on its own <c>vars</c> group, and one that fails (another number of
/// variables, which a group missing from the file gives too, or a variable of another shape) is skipped whole and
/// reported; groups that no object visits are never read. Here the groups are those of <see cref="KerasWeightLayout"/>,
/// one per Keras object, and the check is made on the file's dataspaces before anything is read, so a group is loaded
/// whole or not at all (Keras assigns a group's variables one by one, so one that fails after others leaves those set).
/// A <c>SpectralNormalization</c>'s group, which repeats its wrapped layer's kernel (<see cref="KerasWeightLayout.Aliases(Models.Model)"/>),
/// and the wrapped layer's group load or are skipped together (Keras assigns the kernel from the wrapper's <c>vars/0</c>
/// before the wrapped layer fails, mixing two models in one layer).
/// </summary>
internal static class KerasWeightMismatch
{
    /// <summary>The layout split into what loads and what is skipped.</summary>
    /// <param name="Layout">The weights whose groups fit the file, to read as usual (every other check still applies).</param>
    /// <param name="Aliases">The aliases among them.</param>
    /// <param name="Ignored">The file's datasets left unread: those of skipped groups and of groups no layer takes.</param>
    /// <param name="Skipped">What was skipped and why, in the model's order, then the groups no layer takes.</param>
    /// <param name="SkippedParameters">The parameters of the skipped groups, which keep their values.</param>
    public sealed record Split(List<KerasWeight> Layout, List<KerasWeight> Aliases, List<string> Ignored, List<KerasSkippedWeights> Skipped, HashSet<Parameter> SkippedParameters);

    /// <summary>Splits <paramref name="layout"/> by whether each of its groups fits <paramref name="weights"/>.</summary>
    /// <param name="weights">The file.</param>
    /// <param name="layout">The model's parameters and their datasets.</param>
    /// <param name="aliases">The datasets Keras writes twice (<see cref="KerasWeightLayout.Aliases(Models.Model)"/>), part of their group's count.</param>
    /// <param name="otherVariables">Datasets read elsewhere (a TF-IDF lookup's <c>vars/idf_weights</c>), as the file names them.</param>
    /// <param name="groups">The model's layers with their groups, to name the layer a group of the file belongs to.</param>
    public static Split Of(H5WeightsReader weights, IReadOnlyList<KerasWeight> layout, IReadOnlyList<KerasWeight> aliases, IEnumerable<string> otherVariables,
        IReadOnlyList<(Layer Layer, string Path)> groups)
    {
        var other = new HashSet<string>(otherVariables, StringComparer.Ordinal);
        List<string> datasets = [.. weights.DatasetPaths(weights.Resolve("layers")).Where(p => !other.Contains(p))];
        var members = new Dictionary<string, List<(KerasWeight Weight, string Path, bool IsAlias)>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (weight, isAlias) in layout.Select(w => (w, false)).Concat(aliases.Select(w => (w, true))))
        {
            string path = weights.Resolve(weight.Path);
            string group = Parent(path);
            if (!members.TryGetValue(group, out var list))
            {
                members[group] = list = [];
                order.Add(group);
            }

            list.Add((weight, path, isAlias));
        }

        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string group in order)
        {
            if (Problem(weights, members[group], [.. datasets.Where(p => Parent(p) == group)]) is string reason)
            {
                reasons[group] = reason;
            }
        }

        SkipTogether(weights, layout, aliases, reasons);
        var skippedGroups = new HashSet<string>(reasons.Keys, StringComparer.Ordinal);
        var skipped = new List<KerasSkippedWeights>();
        var skippedParameters = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (string group in order.Where(skippedGroups.Contains))
        {
            var list = members[group];
            List<Parameter> kept = [.. list.Where(m => !m.IsAlias).Select(m => m.Weight.Parameter)];
            skippedParameters.UnionWith(kept);
            skipped.Add(new KerasSkippedWeights(list[0].Weight.Layer.Name, group, [.. kept.Select(p => p.Name)], reasons[group]));
        }

        var placed = new HashSet<string>(members.Where(m => !skippedGroups.Contains(m.Key)).SelectMany(m => m.Value.Select(v => v.Path)), StringComparer.Ordinal);
        List<string> ignored = [.. datasets.Where(p => !placed.Contains(p))];
        string root = weights.Resolve("layers");
        foreach (var unread in ignored.Where(p => !skippedGroups.Contains(Parent(p))).GroupBy(Parent))
        {
            // A group of the file beyond the model's (a layer it does not have, or variables a layer without parameters
            // here had there): Keras never visits the first and fails to load the second.
            string? owner = groups.FirstOrDefault(g => unread.Key.StartsWith(weights.Resolve(g.Path) + "/", StringComparison.Ordinal)).Layer?.Name;
            string count = string.Create(CultureInfo.InvariantCulture, $"{unread.Count()} dataset{(unread.Count() == 1 ? string.Empty : "s")}");
            string reason = owner is null
                ? $"the file holds {count} ('{string.Join("', '", unread)}') where the model has no layer: it was written by a model with more layers (of this class, under '{root}'){Sentence(KerasWeightReader.NestedModelHint(weights, layout, unread.Key))}"
                : $"the file holds {count} ('{string.Join("', '", unread)}') for layer '{owner}', which keeps no parameters there";
            skipped.Add(new KerasSkippedWeights(owner, unread.Key, [], reason));
        }

        return new Split([.. layout.Where(w => !skippedGroups.Contains(Parent(weights.Resolve(w.Path))))],
            [.. aliases.Where(w => !skippedGroups.Contains(Parent(weights.Resolve(w.Path))))], ignored, skipped, skippedParameters);
    }

    // An alias's group (a SpectralNormalization's vars: the repeated kernel and vector_u) and the group of the parameter it
    // repeats (the wrapped layer's vars) are one unit: when one is skipped, so is the other, so that the layer keeps
    // neither a vector_u computed for another kernel nor half of another model's weights.
    private static void SkipTogether(H5WeightsReader weights, IReadOnlyList<KerasWeight> layout, IReadOnlyList<KerasWeight> aliases, Dictionary<string, string> reasons)
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (KerasWeight alias in aliases)
            {
                string aliasPath = weights.Resolve(alias.Path);
                string primaryPath = weights.Resolve(layout.First(w => ReferenceEquals(w.Parameter, alias.Parameter)).Path);
                string aliasGroup = Parent(aliasPath);
                string primaryGroup = Parent(primaryPath);
                if (reasons.ContainsKey(aliasGroup) != reasons.ContainsKey(primaryGroup))
                {
                    (string failed, string other) = reasons.ContainsKey(aliasGroup) ? (aliasGroup, primaryGroup) : (primaryGroup, aliasGroup);
                    reasons[other] = $"skipped with '{failed}', since '{aliasPath}' repeats the '{primaryPath}' of parameter '{alias.Parameter.Name}' of layer '{alias.Layer.Name}' ({alias.Layer.TypeName}): the two groups load together, or the layer would mix weights of two models";
                    changed = true;
                }
            }
        }
    }

    // Why the group does not fit (Keras' _check_load_own_variables counts the group's variables, then each assign checks
    // a shape), or null when it does. Only the dataspaces are looked at: a dataset of another type is not a mismatch
    // of models but a damaged or unsupported file, which the reader then refuses as it always does.
    private static string? Problem(H5WeightsReader weights, List<(KerasWeight Weight, string Path, bool IsAlias)> members, List<string> present)
    {
        KerasWeight first = members[0].Weight;
        string layer = $"layer '{first.Layer.Name}' ({first.Layer.TypeName})";
        if (present.Count != members.Count || members.Any(m => !present.Contains(m.Path)))
        {
            string missing = members.FirstOrDefault(m => !present.Contains(m.Path)).Path is string path ? $" ('{path}' is missing)" : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"the file holds {present.Count} variable{(present.Count == 1 ? string.Empty : "s")} there{missing} where {layer} has {members.Count}: it was written by a layer of other settings, or the model has a layer the file's model did not");
        }

        foreach (var (weight, path, _) in members)
        {
            if (weights.DimensionsOf(path) is ulong[] dimensions
                && !dimensions.Select(d => (long)Math.Min(d, long.MaxValue)).SequenceEqual(weight.Parameter.Shape.Dimensions.ToArray().Select(d => (long)d)))
            {
                return $"dataset '{path}' has shape {weights.FormatShapeOf(path)} but parameter '{weight.Parameter.Name}' of {layer} is {weight.Parameter.Shape}";
            }
        }

        return null;
    }

    // The nested-model hint (" The file keeps ...") after the reason's clause, or nothing.
    private static string Sentence(string hint) => hint.Length == 0 ? string.Empty : "." + hint;

    private static string Parent(string path) => path[..Math.Max(path.LastIndexOf('/'), 0)];
}
