(function(){
  var data = JSON.parse(document.getElementById('track-data').textContent);
  var car = document.getElementById('car');
  function place(t){
    if(!car || !data.points.length) return;
    var best = data.points[0];
    for (var i = 0; i < data.points.length; i++) { if (data.points[i][0] <= t) best = data.points[i]; }
    car.setAttribute('cx', best[1]); car.setAttribute('cy', best[2]);
  }
  var turns = document.querySelectorAll('.turn');
  turns.forEach(function(el){
    el.addEventListener('mouseenter', function(){ place(parseFloat(el.dataset.at)); });
  });
  place(data.points.length ? data.points[data.points.length - 1][0] : 0);
  document.getElementById('summary').textContent =
    turns.length + ' turns, ' + document.querySelectorAll('.stop').length + ' stops on the map, ' +
    document.querySelectorAll('.hazard').length + ' hazards';
  document.body.setAttribute('data-rendered', 'yes');
})();
