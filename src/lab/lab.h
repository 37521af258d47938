#pragma once
// `handgrad lab`: a local web server with the lab's page and its JSON API
// (docs/lab.md). Safe by default: it binds to loopback, every API call needs
// the token, requests naming another Host are refused (DNS rebinding),
// bodies, points, networks, runs and streams are capped.
#include <memory>
#include <string>

#include "lab_settings.h"

namespace handgrad::lab {

struct LabOptions {
  std::string host = "127.0.0.1";
  int port = 8765;       // 0: any free port (see LabServer::port())
  std::string token;     // empty: a random one
  std::string data_dir;  // DIR/mnist, DIR/fashion-mnist; models the page may open
  std::string model;     // a model to open at start (--model)
  std::string out_dir;   // where the run folders go (empty: runs/lab-<UTC time>)
  Caps caps;
  int max_runs = 24;  // live runs in all
  int max_runs_per_client = 6;
  int max_image_runs = 2;      // MNIST-sized runs (each holds its data set in memory)
  int max_streams = 64;        // open event streams
  size_t max_body = 4u << 20;  // request body bytes
};

class LabServer {
 public:
  // Validates the options and opens --model (FieldError naming the option:
  // port, token, data_dir, model).
  explicit LabServer(LabOptions options);
  ~LabServer();  // stop()
  LabServer(const LabServer&) = delete;
  LabServer& operator=(const LabServer&) = delete;

  // Binds and starts serving on a thread of its own. Error naming --host /
  // --port when the address cannot be bound.
  void start();
  int port() const;
  const std::string& token() const;
  const std::string& out_dir() const;
  // "http://127.0.0.1:8765/?token=..."
  std::string url() const;
  // Stops every run at its next step (a file being written is finished),
  // ends the event streams and stops listening. Idempotent; any thread.
  void stop();
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handgrad::lab
