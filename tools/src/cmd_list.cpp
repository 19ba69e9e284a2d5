#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "nnconform/ref/spec.hpp"

namespace nnconform::tool {

void add_list_command(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("list", "List every spec'd function, its family and inputs");
  cmd->callback([&g, &run] {
    run = [&g] {
      auto specs = ref::SpecSet::load(g.spec_dir);
      std::cout << std::left << std::setw(34) << "function" << std::setw(12) << "family" << "inputs / params / aliases\n";
      for (const auto& fn : specs.functions()) {
        std::string inputs;
        for (const auto& in : fn.inputs) {
          inputs += (inputs.empty() ? "" : ", ") + in.name;
          if (in.type == ref::InputType::index) inputs += ":index";
          if (in.shape == ref::Shape::vector) inputs += "[]";
        }
        std::string params;
        for (const auto& p : fn.params) params += (params.empty() ? "" : ", ") + p.name;
        std::string aliases;
        for (const auto& a : fn.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
        std::cout << std::setw(34) << fn.name << std::setw(12) << fn.family << "(" << inputs << ")";
        if (!params.empty()) std::cout << " params: " << params;
        if (!aliases.empty()) std::cout << " aliases: " << aliases;
        std::cout << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace nnconform::tool
