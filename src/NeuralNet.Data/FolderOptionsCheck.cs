using System.Globalization;
using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// The checks <see cref="ImageFolder"/>, <see cref="TextFolder"/> and <see cref="AudioFolder"/> share, Keras' <c>check_validation_split_arg</c> and
/// the <c>class_names</c> rules, run before the folder is read. Messages format numbers in the invariant culture.
/// </summary>
internal static class FolderOptionsCheck
{
    /// <summary>Validates the label, shuffle and split options and returns the shuffle seed to use (null when not shuffling).</summary>
    /// <param name="mode">The label mode.</param>
    /// <param name="labels">The labels given (Keras' <c>labels</c> list), or null to infer them.</param>
    /// <param name="classNames">The class names asked for, or null.</param>
    /// <param name="shuffle">Whether the files are shuffled.</param>
    /// <param name="seed">The seed given, or null.</param>
    /// <param name="split">The validation split.</param>
    /// <param name="subset">The subset asked for, or null.</param>
    /// <param name="bothSubsets">True for <c>LoadSplit</c> (Keras' subset "both"): a split is required and the subset must be unset.</param>
    /// <exception cref="ArgumentException">An option breaks Keras' rules; the parameter named is <c>options</c>.</exception>
    public static uint? Validate(FolderLabelMode mode, IReadOnlyList<int>? labels, IReadOnlyList<string>? classNames, bool shuffle, long? seed, double split, FolderSubset? subset, bool bothSubsets)
    {
        if (!Enum.IsDefined(mode) || (subset is FolderSubset value && !Enum.IsDefined(value)))
        {
            throw new ArgumentException(Invariant($"LabelMode ({(int)mode}) or Subset ({(int?)subset}) is out of range; expected a defined value."), "options");
        }

        if (labels is not null)
        {
            if (classNames is not null)
            {
                throw new ArgumentException($"ClassNames can only be given when the labels are inferred (Labels null). Received: Labels=[{string.Join(", ", labels.Take(10).Select(l => l.ToString(CultureInfo.InvariantCulture)))}{(labels.Count > 10 ? ", ..." : "")}], and ClassNames=[{string.Join(", ", classNames)}].", "options");
            }

            if (mode == FolderLabelMode.None)
            {
                throw new ArgumentException("Labels cannot be given with LabelMode None (no labels); choose Integer, Categorical or Binary to use them.", "options");
            }

            int negative = labels.Select((label, i) => label < 0 ? i : -1).FirstOrDefault(i => i >= 0, -1);
            if (negative >= 0)
            {
                throw new ArgumentException(Invariant($"Labels must be non-negative integers. Received: Labels[{negative}]={labels[negative]}."), "options");
            }
        }

        if (double.IsNaN(split) || split < 0 || split >= 1)
        {
            throw new ArgumentException(Invariant($"ValidationSplit must be between 0 and 1 (0 for no split). Received: {split}."), "options");
        }

        if (bothSubsets)
        {
            if (split == 0 || subset is not null)
            {
                throw new ArgumentException(Invariant($"LoadSplit returns both subsets: it needs a ValidationSplit in (0, 1) and no Subset. Received: ValidationSplit={split}, Subset={subset?.ToString() ?? "null"}."), "options");
            }
        }
        else if ((split > 0) != (subset is not null))
        {
            throw new ArgumentException(Invariant($"If Subset is set, ValidationSplit must be set, and inversely. Received: ValidationSplit={split}, Subset={subset?.ToString() ?? "null"}."), "options");
        }

        if (seed is long given && (given < 0 || given > uint.MaxValue))
        {
            throw new ArgumentException(Invariant($"Seed must be in [0, {uint.MaxValue}] (numpy's RandomState seeds). Received: {given}."), "options");
        }

        if (split > 0 && shuffle && seed is null)
        {
            throw new ArgumentException("If using ValidationSplit and shuffling the data, you must provide a Seed, to make sure that there is no overlap between the training and validation subset.", "options");
        }

        if (classNames is not null)
        {
            if (mode == FolderLabelMode.None)
            {
                throw new ArgumentException("ClassNames cannot be given with LabelMode None (no labels: the folder's structure is ignored).", "options");
            }

            if (classNames.Count == 0 || classNames.Any(string.IsNullOrEmpty) || classNames.Distinct(StringComparer.Ordinal).Count() != classNames.Count)
            {
                throw new ArgumentException(Invariant($"ClassNames must be distinct, non-empty names. Received: [{string.Join(", ", classNames)}]."), "options");
            }
        }

        return shuffle
            ? (uint)(seed ?? Random.Shared.Next(1_000_000)) // Keras draws np.random.randint(1e6) when no seed is given.
            : null;
    }
}
