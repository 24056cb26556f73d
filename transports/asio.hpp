#pragma once
// The one way to include Boost.Asio in this project. g++ 12 in C++20 mode fails
// to compile <boost/asio.hpp> unless <utility> comes first (asio issue 944).
#include <utility>

#include <boost/asio.hpp>

namespace otagw {
namespace asio = boost::asio;
}  // namespace otagw
