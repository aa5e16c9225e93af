using NeuralNet;

var x = Tensor.RandomNormal(new TensorShape(4, 3), seed: 42);
Console.WriteLine(x);
