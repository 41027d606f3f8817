# Builds QCustomPlot 2.1.0 (fetched by scripts/setup.sh into third_party/) as the static target
# `qcustomplot`, with its header patched at configure time so that Qt 6.4's moc accepts it.
#
# Why the patch: for moc runs the header pretends the QCP namespace is a Q_GADGET class with
# Q_ENUMS/Q_FLAGS. Qt 6's moc output for such a fake class refers to QCP as a complete class
# type, which it is not when compiling, so the build fails. Q_NAMESPACE + Q_ENUM_NS/Q_FLAG_NS is
# the supported way to give a namespace's enums meta-object reflection.

set(WB_QCP_SOURCE_DIR ${PROJECT_SOURCE_DIR}/third_party/qcustomplot)
if(NOT EXISTS ${WB_QCP_SOURCE_DIR}/qcustomplot.h OR NOT EXISTS ${WB_QCP_SOURCE_DIR}/qcustomplot.cpp)
  message(FATAL_ERROR "QCustomPlot's source is missing from ${WB_QCP_SOURCE_DIR}. "
                      "Run scripts/setup.sh (it fetches it from Debian's source package), or "
                      "configure with -DWB_BUILD_UI=OFF to build without the desktop app.")
endif()

set(WB_QCP_BUILD_DIR ${CMAKE_CURRENT_BINARY_DIR}/qcustomplot)
file(READ ${WB_QCP_SOURCE_DIR}/qcustomplot.h WB_QCP_HEADER)

# The fake class for moc runs becomes a real Q_NAMESPACE (the regex spans the #else branch).
string(REGEX REPLACE "#ifndef Q_MOC_RUN\nnamespace QCP {\n#else\nclass QCP {[^#]*#endif"
                     "namespace QCP {\nQ_NAMESPACE" WB_QCP_HEADER "${WB_QCP_HEADER}")
# Q_NAMESPACE declares QCP::staticMetaObject itself.
string(REGEX REPLACE "extern const QMetaObject staticMetaObject;[^\n]*\n" "" WB_QCP_HEADER
                     "${WB_QCP_HEADER}")
# Registered after every enum and flag of the namespace has been declared.
set(WB_QCP_ENUMS
    "Q_ENUM_NS(ExportPen)\nQ_ENUM_NS(ResolutionUnit)\nQ_ENUM_NS(SignDomain)\n"
    "Q_ENUM_NS(MarginSide)\nQ_FLAG_NS(MarginSides)\nQ_ENUM_NS(AntialiasedElement)\n"
    "Q_FLAG_NS(AntialiasedElements)\nQ_ENUM_NS(PlottingHint)\nQ_FLAG_NS(PlottingHints)\n"
    "Q_ENUM_NS(Interaction)\nQ_FLAG_NS(Interactions)\nQ_ENUM_NS(SelectionRectMode)\n"
    "Q_ENUM_NS(SelectionType)\n")
string(REPLACE ";" "" WB_QCP_ENUMS "${WB_QCP_ENUMS}")
string(REPLACE "} // end of namespace QCP" "${WB_QCP_ENUMS}} // end of namespace QCP"
               WB_QCP_HEADER "${WB_QCP_HEADER}")

string(FIND "${WB_QCP_HEADER}" "class QCP {" WB_QCP_FAKE_CLASS)
string(FIND "${WB_QCP_HEADER}" "Q_ENUM_NS(SelectionType)" WB_QCP_REGISTERED)
if(NOT WB_QCP_FAKE_CLASS EQUAL -1 OR WB_QCP_REGISTERED EQUAL -1)
  message(FATAL_ERROR "cmake/QCustomPlot.cmake could not patch ${WB_QCP_SOURCE_DIR}/qcustomplot.h "
                      "(not QCustomPlot 2.1.0?). Delete third_party/qcustomplot and run "
                      "scripts/setup.sh again.")
endif()

# Written only when it changed, so that a re-configure does not rebuild QCustomPlot.
set(WB_QCP_OLD_HEADER "")
if(EXISTS ${WB_QCP_BUILD_DIR}/qcustomplot.h)
  file(READ ${WB_QCP_BUILD_DIR}/qcustomplot.h WB_QCP_OLD_HEADER)
endif()
if(NOT WB_QCP_OLD_HEADER STREQUAL WB_QCP_HEADER)
  file(WRITE ${WB_QCP_BUILD_DIR}/qcustomplot.h "${WB_QCP_HEADER}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${WB_QCP_SOURCE_DIR}/qcustomplot.h)
# The .cpp includes "qcustomplot.h" relative to itself, so it must sit next to the patched copy.
configure_file(${WB_QCP_SOURCE_DIR}/qcustomplot.cpp ${WB_QCP_BUILD_DIR}/qcustomplot.cpp COPYONLY)

add_library(qcustomplot STATIC ${WB_QCP_BUILD_DIR}/qcustomplot.h ${WB_QCP_BUILD_DIR}/qcustomplot.cpp)
set_target_properties(qcustomplot PROPERTIES AUTOMOC ON)
# SYSTEM: its warnings are not ours to fix.
target_include_directories(qcustomplot SYSTEM PUBLIC ${WB_QCP_BUILD_DIR})
target_link_libraries(qcustomplot PUBLIC Qt6::Widgets Qt6::PrintSupport)
