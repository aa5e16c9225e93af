namespace NeuralNet.Onnx;

/// <summary>How the axes of an exported value are ordered.</summary>
internal enum Layout
{
    /// <summary>As NeuralNet (and Keras) hold it: (batch, ..., channels); images (batch, height, width, channels), volumes (batch, depth, height, width, channels).</summary>
    ChannelsLast,

    /// <summary>ONNX's image layout, (batch, channels, height, width), or (batch, channels, depth, height, width) for volumes: what Conv and the pooling operators read and write.</summary>
    ChannelsFirst,
}

/// <summary>A value of the ONNX graph: its name, the per-sample shape NeuralNet gives it (channels last), and its layout in the graph.</summary>
internal readonly record struct OnnxValue(string Name, TensorShape Shape, Layout Layout)
{
    /// <summary>The rank of the value in the graph, the batch axis included.</summary>
    public int Rank => Shape.Rank + 1;
}
