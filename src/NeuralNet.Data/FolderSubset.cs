namespace NeuralNet.Data;

/// <summary>
/// Which part of a split folder to read, Keras' <c>subset</c> (use <c>ImageFolder.LoadSplit</c>,
/// <c>TextFolder.LoadSplit</c> or <c>AudioFolder.LoadSplit</c> for Keras' "both").
/// </summary>
public enum FolderSubset
{
    /// <summary>The first 1 - validationSplit of the (shuffled) files.</summary>
    Training,

    /// <summary>The last validationSplit of the (shuffled) files.</summary>
    Validation,
}
