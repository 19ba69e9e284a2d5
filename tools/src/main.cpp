// nnconform: a spec-driven numerical conformance suite for neural-network functions.
#include <iostream>

#include "commands.hpp"
#include "nnconform/ref/evaluator.hpp"
#include "nnconform/ref/spec.hpp"

int main(int argc, char** argv) {
  using namespace nnconform;
  CLI::App app{"nnconform: correctly rounded references and conformance checks for NN functions"};
  app.set_version_flag("--version", std::string("nnconform ") + NNCONFORM_VERSION);
  app.require_subcommand(1);
  tool::GlobalOptions global;
  app.add_option("--spec", global.spec_dir, "Directory of the YAML specs")->capture_default_str();
  app.add_option("--vectors", global.vector_dir, "Directory of the golden vectors")->capture_default_str();

  tool::Runner run;
  tool::add_list_command(app, global, run);
  tool::add_eval_command(app, global, run);
  tool::add_gen_command(app, global, run);
  tool::add_verify_command(app, global, run);
  tool::add_check_command(app, global, run);
  tool::add_report_command(app, global, run);
  tool::add_sweep_command(app, global, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? tool::kExitOk : tool::kExitBadInput;
  }
  try {
    return run();
  } catch (const ref::SpecError& e) {
    std::cerr << e.what() << "\n";
    return tool::kExitBadInput;
  } catch (const ref::EvalError& e) {
    std::cerr << "nnconform: " << e.what() << "\n";
    return tool::kExitBadInput;
  } catch (const ref::UndecidedError& e) {
    std::cerr << "nnconform: " << e.what() << "\n";
    return tool::kExitFailures;
  } catch (const std::exception& e) {
    std::cerr << "nnconform: " << e.what() << "\n";
    return tool::kExitBadInput;
  }
}
