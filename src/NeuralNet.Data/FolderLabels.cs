namespace NeuralNet.Data;

/// <summary>Encodes the labels of a folder's files in a <see cref="FolderLabelMode"/>, as Keras' <c>labels_to_dataset</c>.</summary>
internal static class FolderLabels
{
    /// <summary>(n) labels, (n, classes) one-hot rows or (n, 1) zeros and ones; null without labels.</summary>
    public static Tensor? ToTensor(int[]? labels, int classCount, FolderLabelMode mode)
    {
        if (labels is null)
        {
            return null;
        }

        if (mode == FolderLabelMode.Categorical)
        {
            return NeuralNet.Datasets.LabeledDataset.OneHot(labels, classCount);
        }

        float[] values = [.. labels.Select(c => (float)c)];
        return mode == FolderLabelMode.Binary ? Tensor.FromArray(values, values.Length, 1) : Tensor.FromArray(values, values.Length);
    }
}
