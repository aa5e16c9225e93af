// DigitServer: a saved MNIST model behind a web page where you draw a digit, and a JSON endpoint.
//   dotnet run -c Release --project samples/DigitServer                           trains 784-512-10 for 1 epoch the first time
//                                                                                   (saved to out/digitserver-mnist.safetensors, reused afterwards)
//   dotnet run -c Release --project samples/DigitServer -- --model my.safetensors  serves a model saved by Model.Save
//   ... -- --urls http://localhost:5080                                            another address (default http://localhost:5000)
//   ... -- --check                                                                 starts on a free port, answers a few requests, exits
// Then open the address in a browser, or:
//   curl -H 'Content-Type: application/json' -d '{"pixels":[... 784 numbers in 0..1 ...]}' http://localhost:5000/api/predict
// Exit codes: 0 stopped (or --check passed), 1 --check failed, 2 the model cannot be loaded or served, 3 cannot listen.
using NeuralNet.Samples.DigitServer;

return await DigitServerApp.RunAsync(args);
