# Regression archive (Covid3Month style)
@problemname Covid3Month
@timestamps false
@missing false
@univariate true
@equallength true
@targetlabel true
@data
0.0,0.0,3.0,5.0:0.0344
0.0,1.0,2.0,0.0:0.0
