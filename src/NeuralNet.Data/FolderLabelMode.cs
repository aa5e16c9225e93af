namespace NeuralNet.Data;

/// <summary>
/// How the class of each file read by <see cref="ImageFolder"/>, <see cref="TextFolder"/> or <see cref="AudioFolder"/>
/// is encoded, Keras' <c>label_mode</c>.
/// </summary>
public enum FolderLabelMode
{
    /// <summary>The class index, labels of shape (n), for <c>SparseCategoricalCrossEntropy</c> (Keras' "int", the default).</summary>
    Integer,

    /// <summary>One-hot rows, labels of shape (n, classes), for <c>CategoricalCrossEntropy</c> (Keras' "categorical").</summary>
    Categorical,

    /// <summary>0 or 1 for exactly two classes, labels of shape (n, 1), for <c>BinaryCrossEntropy</c> (Keras' "binary").</summary>
    Binary,

    /// <summary>
    /// No labels (Keras' <c>None</c>): every file under the folder is read, sub-folders or not, and the classes are
    /// not inferred.
    /// </summary>
    None,
}
