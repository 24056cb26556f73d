# Two Debian packages from one build (`make package`, CPack's DEB generator):
#   otagwd          the daemon, the plugin host, the sample plugins, the plugin
#                   header, the unit with its sysusers.d/tmpfiles.d snippets,
#                   the docs and an example config under /etc/otagw (a conffile)
#   otagw-cloudsim  the local cloud: the simulator, its broker plugin and the
#                   demo scenario
# Library dependencies come from dpkg-shlibdeps; the maintainer scripts in
# systemd/debian/ create the account and fix the config's owner and mode.

# The rest of the otagwd package: docs and the example config.
install(FILES
    ${PROJECT_SOURCE_DIR}/README.md
    ${PROJECT_SOURCE_DIR}/docs/configuration.md
    ${PROJECT_SOURCE_DIR}/docs/operations.md
    ${PROJECT_SOURCE_DIR}/docs/plugins.md
    ${PROJECT_SOURCE_DIR}/docs/protocol.md
    ${PROJECT_SOURCE_DIR}/docs/reliability.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/otagwd COMPONENT otagwd)
install(FILES ${PROJECT_SOURCE_DIR}/docs/simulator.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/otagw-cloudsim COMPONENT cloudsim)
# The config holds secrets: 0640 here, group otagw from the postinst (the
# group does not exist when dpkg unpacks). An edited copy is never replaced
# on upgrade (conffile).
install(FILES ${PROJECT_SOURCE_DIR}/config/examples/gateway.yaml
  DESTINATION /etc/otagw
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
  COMPONENT otagwd)
# The example names subdevices_dir: subdevices.d; it starts empty (the
# example of such a file goes with the docs).
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/empty-dir)
install(DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/empty-dir/ DESTINATION /etc/otagw/subdevices.d COMPONENT otagwd)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/examples/subdevices.d/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/otagwd/examples/subdevices.d COMPONENT otagwd)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "otagw")
set(CPACK_PACKAGE_VENDOR "otagw")
set(CPACK_PACKAGE_CONTACT "otagw maintainers <otagw@localhost>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# Each package's description below starts with its own summary line; CPackDeb
# prepends the project-wide summary unless it is CPack's default text.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CPACK_PACKAGE_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_INSTALL_PREFIX "/usr")  # what the install step uses with CPACK_SET_DESTDIR
# The unit, sysusers.d and /etc paths are absolute: install them below the
# staging root (DESTDIR), not onto the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL otagwd cloudsim)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Shipped stripped (RelWithDebInfo carries debug info: 26 MB -> a few MB).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_OTAGWD_PACKAGE_NAME "otagwd")
set(CPACK_DEBIAN_OTAGWD_DESCRIPTION
  "sub-device firmware gateway for the Alibaba Cloud IoT Platform
otagwd keeps one MQTT session to the platform for a gateway and brings the
firmware of the sub-devices behind it up to date, one device at a time,
through per-device flashing plugins. Runs as a hardened systemd service.")
# systemd-sysusers and systemd-tmpfiles run in the postinst.
set(CPACK_DEBIAN_OTAGWD_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_OTAGWD_PACKAGE_CONTROL_EXTRA
  "${PROJECT_SOURCE_DIR}/systemd/debian/otagwd/conffiles;${PROJECT_SOURCE_DIR}/systemd/debian/otagwd/postinst;${PROJECT_SOURCE_DIR}/systemd/debian/otagwd/prerm;${PROJECT_SOURCE_DIR}/systemd/debian/otagwd/postrm")

set(CPACK_DEBIAN_CLOUDSIM_PACKAGE_NAME "otagw-cloudsim")
set(CPACK_DEBIAN_CLOUDSIM_DESCRIPTION
  "local stand-in for the Alibaba Cloud IoT Platform, for otagwd
otagw-cloudsim plays the platform's Link protocol on a local mosquitto broker
(with its sign-in plugin) and serves firmware over HTTP(S), from a YAML
scenario. `otagw-cloudsim run` drives otagwd through a scenario and checks
its expectations.")
set(CPACK_DEBIAN_CLOUDSIM_PACKAGE_DEPENDS "mosquitto, otagwd (= ${PROJECT_VERSION})")

include(CPack)
