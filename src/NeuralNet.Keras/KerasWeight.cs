using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>One parameter of a model and the dataset Keras' weights file keeps it in.</summary>
/// <param name="Path">The HDF5 dataset path, as Keras' <c>saving_lib</c> writes it (<c>layers/dense/vars/0</c>).</param>
/// <param name="Layer">The model's layer that owns the parameter.</param>
/// <param name="Parameter">The parameter.</param>
/// <param name="IsInteger">Whether Keras keeps the variable as an integer (<c>Normalization</c>'s <c>count</c>).</param>
internal sealed record KerasWeight(string Path, Layer Layer, Parameter Parameter, bool IsInteger)
{
    /// <summary>The parameter's name in NeuralNet's own files: <c>layer/parameter</c>.</summary>
    public string TensorName => Layer.Name + "/" + Parameter.Name;

    /// <summary>The HDF5 group that holds the dataset (the path without its last segment).</summary>
    public string Group => Path[..Path.LastIndexOf('/')];
}
