#include "tools/cloudsim/firmware_server/response_plan.hpp"

#include "tools/cloudsim/firmware_server/byte_range.hpp"

namespace otagw::cloudsim {

ResponsePlan error_plan(unsigned status) {
  ResponsePlan plan;
  plan.status = status;
  plan.content_type = "text/html";
  // A page long enough to be mistaken for firmware by a client that does
  // not check the status (the Linkkit SDK counted a 404 page up to 62 %).
  plan.text_body = "<html><head><title>" + std::to_string(status) + "</title></head><body><h1>" +
                   std::to_string(status) + "</h1><p>otagw-cloudsim firmware server</p></body></html>\n";
  plan.content_length = plan.text_body.size();
  return plan;
}

ResponsePlan plan_response(const FaultSpec& faults, std::uint64_t file_size, std::string_view range_header,
                           bool drop_now) {
  if (faults.status) return error_plan(static_cast<unsigned>(*faults.status));
  if (faults.redirect_to) {
    ResponsePlan moved = error_plan(302);
    moved.location = *faults.redirect_to;
    return moved;
  }

  const ByteRange range = faults.ignore_range ? ByteRange{} : parse_byte_range(range_header, file_size);
  ResponsePlan plan;
  switch (range.kind) {
    case ByteRange::Kind::unsatisfiable: {
      ResponsePlan refused = error_plan(416);
      refused.content_range = "bytes */" + std::to_string(file_size);
      return refused;
    }
    case ByteRange::Kind::partial:
      plan.status = 206;
      plan.file_offset = range.first;
      plan.file_bytes = range.last - range.first + 1;
      plan.content_range = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                           std::to_string(file_size);
      break;
    case ByteRange::Kind::whole:
      plan.file_bytes = file_size;
      break;
  }

  plan.content_length = plan.file_bytes;
  if (faults.wrong_content_length) {
    plan.content_length = faults.wrong_content_length;
    if (*faults.wrong_content_length != plan.file_bytes) {
      // Never send more than declared (that would corrupt the next answer on
      // a kept-alive connection); close so a client waiting for more sees EOF.
      plan.file_bytes = std::min(plan.file_bytes, *faults.wrong_content_length);
      plan.close_after = true;
    }
  }
  if (faults.no_content_length) {
    plan.content_length.reset();
    plan.close_after = true;
  }
  if (drop_now && faults.drop_at_byte && *faults.drop_at_byte < plan.file_bytes) plan.drop_after = faults.drop_at_byte;
  if (faults.stall_after_bytes_ms && faults.stall_at_byte < plan.file_bytes) {
    plan.stall_after = faults.stall_at_byte;
    plan.stall_for = *faults.stall_after_bytes_ms;
  }
  plan.rate_bytes_per_s = faults.rate_bytes_per_s;
  return plan;
}

}  // namespace otagw::cloudsim
